package app

import "sync/atomic"

// Stats counts what the node's messaging did since it started, for operators' metrics.
// The counters are plain atomics so the core needs no metrics library; the HTTP layer
// exports them.
type Stats struct {
	Received         atomic.Int64 // messages accepted from peers
	Rejected         atomic.Int64 // deliveries from peers refused
	Delivered        atomic.Int64 // messages receipted by a peer
	DeliveryFailures atomic.Int64 // delivery attempts that failed
	Requests         atomic.Int64 // delivery requests made to peers, a batch counting once
	Escalations      atomic.Int64 // escalation steps fired
	Matches          atomic.Int64 // matches found on arrival
}
