package web

import (
	"net/url"
	"strconv"
)

// A list page keeps everything that shapes it in its URL (filters, order, page), so a view
// can be bookmarked and shared, and every header, filter and pager link is plain HTML that
// works without JavaScript. Every order a header offers is an index walk in the store.

// column is one column of a sortable list: its heading, and the order it sorts by ("" when
// it does not sort). first is the order a first click gives: "-" + key for newest first.
type column struct {
	Label string
	Key   string
	First string
}

// header is a column heading as the template draws it: a link that sorts by it, with
// aria-sort saying how the list is sorted now.
type header struct {
	Label string
	Href  string // "" when the column does not sort
	Sort  string // aria-sort: ascending, descending, or "" when not sorted by this column
	Arrow string // ▲ or ▼ beside the active column
}

// sortHeaders returns the headings of cols for a list at u sorted by current ("key" for
// ascending, "-key" for descending). Each link keeps the filters and starts at the first page.
func sortHeaders(u *url.URL, current string, cols []column) []header {
	hs := make([]header, len(cols))
	for i, c := range cols {
		hs[i].Label = c.Label
		if c.Key == "" {
			continue
		}
		next := c.First
		if next == "" {
			next = c.Key
		}
		switch current {
		case c.Key:
			hs[i].Sort, hs[i].Arrow, next = "ascending", "▲", "-"+c.Key
		case "-" + c.Key:
			hs[i].Sort, hs[i].Arrow, next = "descending", "▼", c.Key
		}
		hs[i].Href = withQuery(u, map[string]string{"sort": next, "offset": "", "after": "", "before": ""})
	}
	return hs
}

// withQuery returns u's path and query with the given parameters set; "" removes one.
func withQuery(u *url.URL, set map[string]string) string {
	q := url.Values{}
	for k, vs := range u.Query() {
		q[k] = vs
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return u.Path
	}
	return u.Path + "?" + q.Encode()
}

// pager says where a page lies in its list ("41–60 of 1,204") and links its neighbours.
type pager struct {
	From, To, Total int
	PrevHref        string
	NextHref        string
}

// pageOf returns the pager of a page of n rows at offset in a list of total, at u.
func pageOf(u *url.URL, offset, n, total int) pager {
	p := pager{From: offset + 1, To: offset + n, Total: total}
	if offset > 0 {
		p.PrevHref = withQuery(u, map[string]string{"offset": strconv.Itoa(max(offset-pageSize, 0))})
	}
	if offset+n < total {
		p.NextHref = withQuery(u, map[string]string{"offset": strconv.Itoa(offset + pageSize)})
	}
	return p
}
