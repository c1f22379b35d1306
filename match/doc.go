// Package match owns person matching: it normalises and transliterates names, compares two
// names or two persons into a score between 0 and 1 with a feature-by-feature Explanation,
// and keeps an Index that finds the best candidates for a query without scanning the list.
//
// It is pure: no I/O, no database, no global state beyond read-only tables.
package match
