package main

import (
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/httpapi"
	"github.com/forewarn/forewarn/stix"
	"github.com/forewarn/forewarn/taxii"
)

// feedTimeout is how long a partner's TAXII server has to answer one page.
const feedTimeout = 30 * time.Second

// mountTAXII serves the node's TAXII collections under /taxii2/ and sets up the poller of
// its feeds, with their health in /metrics.
func mountTAXII(rt *liveNode, agency forewarn.Agency) {
	rt.taxii = &app.TAXII{Node: rt.node, Codec: stix.Codec{}}
	srv := &taxii.Server{TAXII: rt.taxii, Logger: rt.node.Logger, ErrorStatus: httpapi.ErrorStatus,
		Title: "Forewarn node of " + agency.Code, Description: agency.Name + ": persons of interest as STIX 2.1",
		Contact: "the administrators of " + agency.Code + " (" + agency.Name + ")"}
	srv.Register(rt.srv.Handle)
	rt.feeds = app.NewFeeds(rt.msgs, taxii.NewClient(feedTimeout), stix.Codec{})
	rt.srv.Registry().MustRegister(taxii.FeedCollector(rt.node.Store))
}
