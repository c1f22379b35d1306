package sqlstore

import (
	"database/sql"
	"fmt"
	"strings"
)

// Lists by partition. On SQLite a list's orders are indexed per direction (messages) and
// per status (matches) only (migration 0422): an index over every row beside them was
// written by every message and match stored, in the serial writer's turn, to answer only
// the lists of every direction or status. Such a list reads instead one range of the
// per-value index for each value, as the parts of a UNION ALL in the list's order, which
// the engine merges as it reads them (a page reads what it shows and no more, as a walk
// of one index did), and its count is the sum of each part's.

// partition is the column a list is partitioned by and its values, each given as an SQL
// literal so that the parts are planned for them.
type partition struct {
	column string
	values []string
}

var (
	byDirection = partition{column: "m.direction", values: []string{"'in'", "'out'"}}
	byStatus    = partition{column: "status", values: []string{"'pending'", "'confirmed'", "'rejected'"}}
)

// count is the query counting the rows from selects (" FROM … WHERE …"), one part per
// value; its arguments are args once per value.
func (p partition) count(from string) string {
	parts := make([]string, len(p.values))
	for i, v := range p.values {
		parts[i] = "(SELECT COUNT(*)" + from + " AND " + p.column + " = " + v + ")"
	}
	return "SELECT " + strings.Join(parts, " + ")
}

// page is the query of a page of columns from the rows from selects, in order (which
// names result columns only, without a table's prefix), followed by LIMIT ? OFFSET ?;
// its arguments are args once per value, then the limit and the offset.
func (p partition) page(columns, from, order string) string {
	parts := make([]string, len(p.values))
	for i, v := range p.values {
		parts[i] = "SELECT " + columns + from + " AND " + p.column + " = " + v
	}
	return strings.Join(parts, " UNION ALL ") + " ORDER BY " + order + " LIMIT ? OFFSET ?"
}

// pageQuery is page with its arguments: args once per value, then limit and offset.
// Where limited (Dialect.LimitedParts), each part is itself ordered and limited to the
// rows the page can take from it (limit+offset): PostgreSQL merges such parts as it reads
// each from its index, where of a plain UNION ALL it reads and sorts every row.
func (p partition) pageQuery(columns, from, order string, args []any, limit, offset int, limited bool) (string, []any) {
	if !limited {
		return p.page(columns, from, order), append(p.args(args), limit, offset)
	}
	parts := make([]string, len(p.values))
	out := make([]any, 0, (len(args)+1)*len(p.values)+2)
	for i, v := range p.values {
		parts[i] = fmt.Sprintf("SELECT * FROM (SELECT %s%s AND %s = %s ORDER BY %s LIMIT ?) AS part%d", columns, from, p.column, v, order, i)
		out = append(append(out, args...), limit+offset)
	}
	return strings.Join(parts, " UNION ALL ") + " ORDER BY " + order + " LIMIT ? OFFSET ?", append(out, limit, offset)
}

// args repeats args once per value.
func (p partition) args(args []any) []any {
	out := make([]any, 0, len(args)*len(p.values)+2)
	for range p.values {
		out = append(out, args...)
	}
	return out
}

// keyedRow scans a row whose first column is a key the list is ordered by, selected only
// for that, as the row without it.
type keyedRow struct{ rows *sql.Rows }

func (r keyedRow) Scan(dest ...any) error {
	var key any
	return r.rows.Scan(append([]any{&key}, dest...)...)
}

// list is the statements of a page of a list and of its count, with their arguments;
// keyed says the page's rows start with a key (keyedRow).
type list struct {
	count, page         string
	countArgs, pageArgs []any
	keyed               bool
}
