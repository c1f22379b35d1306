package main

import "github.com/forewarn/forewarn/web"

// mountWeb serves the node's web pages on its HTTP server, beside the JSON API, so they
// share its listener, TLS and metrics.
func mountWeb(rt *liveNode) {
	w := web.New(rt.node, rt.msgs, rt.node.Logger)
	w.Language = rt.language
	w.Register(rt.srv.Handle)
}
