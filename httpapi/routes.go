package httpapi

import (
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/forewarn/forewarn"
)

// route is one endpoint: what it does, who may call it, and its handler. The table in
// routes is the one place the API is defined: the mux, the OpenAPI document and the
// authorisation test all read it.
type route struct {
	Method   string
	Path     string
	Perm     forewarn.Permission // "" for public endpoints
	Tag      string
	Summary  string
	Request  string   // component schema of the JSON body, if any
	Response string   // component schema of the success body
	Query    []string // query parameters
	Status   int      // success status; 200 when zero
	// Purpose says whether the endpoint opens personal data and so asks why: purposeRequired
	// refuses a call without one (400 naming "purpose"), purposeOptional records it when
	// given (search shows details only then, when the node's policy says so).
	Purpose purposeUse

	handler  func(http.ResponseWriter, *http.Request, *forewarn.Principal)
	raw      http.HandlerFunc // for public endpoints
	internal bool             // served but not part of the documented API (metrics)
}

// pageQuery are the query parameters of every list.
var pageQuery = []string{"offset", "limit"}

func (s *Server) routeTable() []route {
	return []route{
		{Method: "GET", Path: "/healthz", Tag: "operations", Summary: "Health of the node and its store", Response: "Health", raw: s.handleHealth},
		{Method: "GET", Path: "/metrics", internal: true, raw: s.metricsGuard(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))},
		{Method: "GET", Path: "/api/v1/openapi.json", Tag: "operations", Summary: "This API's OpenAPI 3 description", raw: s.handleOpenAPI},
		{Method: "GET", Path: "/api/v1/node", Tag: "operations", Summary: "The node's agency and public key", Response: "Node", raw: s.handleNode},
		{Method: "POST", Path: "/federation/v1/messages", Tag: "federation", Summary: "Deliver a signed envelope from a peer node; answers with a signed receipt", Request: "Envelope", Response: "Receipt", raw: s.handleFederationMessage},
		{Method: "POST", Path: "/federation/v1/messages/batch", Tag: "federation", Summary: "Deliver up to 64 signed envelopes from a peer node in one request (docs/envelope.md, Batches); answers, in their order, each one's signed receipt or its refusal", Request: "EnvelopeBatch", Response: "EnvelopeBatchAnswer", raw: s.handleFederationBatch},
		{Method: "POST", Path: "/federation/v1/heads", Tag: "federation", Summary: "Countersign and keep a peer's signed audit chain head; answers with the head countersigned", Request: "Head", Response: "Head", raw: s.handleWitnessHead},
		{Method: "POST", Path: "/federation/v1/private-match", Tag: "federation", Summary: "A peer's signed private query (answered with the evaluated elements and this node's set, signed) or its report of hits (docs/private-match.md)", Request: "PrivateMatchDocument", Response: "PrivateMatchDocument", raw: s.handlePrivateMatch},
		{Method: "POST", Path: "/federation/v1/heads/query", Tag: "federation", Summary: "The heads of the asking peer's audit chain this node countersigned (a signed query)", Request: "WitnessQuery", Response: "WitnessAnswer", raw: s.handleWitnessQuery},

		{Method: "GET", Path: "/api/v1/messages", Purpose: purposeOptional, Perm: forewarn.PermReadMessages, Tag: "messages", Summary: "List messages with their delivery, acknowledgement and overdue status; received messages come without the persons they name unless a purpose is given (persons_withheld says how many)",
			Query: append([]string{"direction", "kind", "peer", "thread", "overdue", "unactioned"}, pageQuery...), Response: "MessagePage", handler: s.handleListMessages},
		{Method: "POST", Path: "/api/v1/messages", Perm: forewarn.PermSendMessages, Tag: "messages", Summary: "Send a request, notification or response to peers", Request: "Message", Response: "MessageView", Status: http.StatusCreated, handler: s.handleSendMessage},
		{Method: "GET", Path: "/api/v1/messages/{id}", Purpose: purposeOptional, Perm: forewarn.PermReadMessages, Tag: "messages", Summary: "A message with its deliveries, matches and escalations; a received message naming persons needs a purpose (400 naming purpose without one)", Response: "MessageView", handler: s.handleGetMessage},
		{Method: "GET", Path: "/api/v1/messages/{id}/thread", Purpose: purposeOptional, Perm: forewarn.PermReadMessages, Tag: "messages", Summary: "Every message of the message's thread; received messages come without the persons they name unless a purpose is given", Response: "MessagePage", handler: s.handleThread},
		{Method: "GET", Path: "/api/v1/messages/{id}/related", Purpose: purposeOptional, Perm: forewarn.PermReadMessages, Tag: "messages", Summary: "Other messages about the same persons, oldest first; received ones without the persons they name unless a purpose is given", Response: "RelatedList", handler: s.handleRelated},
		{Method: "POST", Path: "/api/v1/messages/{id}/ack", Perm: forewarn.PermAckMessages, Tag: "messages", Summary: "Acknowledge a received message: read, or actioned with outcome and reason", Request: "Ack", Response: "MessageView", Status: http.StatusCreated, handler: s.handleAck},
		{Method: "POST", Path: "/api/v1/messages/{id}/assign", Perm: forewarn.PermAckMessages, Tag: "messages", Summary: "Take a received message (\"I take it\"), or, as a supervisor, assign it: its owner is reminded first when it falls due", Request: "Assign", Response: "MessageView", handler: s.handleAssign},
		{Method: "POST", Path: "/api/v1/drafts/check", Perm: forewarn.PermSendMessages, Tag: "messages", Summary: "Match the persons of a draft against subjects and earlier messages, storing nothing", Request: "DraftCheck", Response: "DraftHits", handler: s.handleDraftCheck},
		{Method: "POST", Path: "/api/v1/private-queries", Perm: forewarn.PermSendMessages, Tag: "messages", Summary: "Ask a peer privately whether it holds persons (subjects or described), without naming them; answers with a band for each", Request: "PrivateAsk", Response: "PrivateQuery", Status: http.StatusCreated, handler: s.handleAskPrivately},
		{Method: "GET", Path: "/api/v1/private-queries", Perm: forewarn.PermReadMessages, Tag: "messages", Summary: "Private queries this node asked (direction=out) or was asked (direction=in)", Query: []string{"direction"}, Response: "PrivateQueryList", handler: s.handlePrivateQueries},
		{Method: "GET", Path: "/api/v1/alerts", Purpose: purposeOptional, Perm: forewarn.PermReadMessages, Tag: "messages", Summary: "Open alerts for the caller's roles: escalations and matches; without a purpose (when the node's policy asks for one first) a match's text does not name the persons (details_withheld says how many)", Query: pageQuery, Response: "AlertPage", handler: s.handleAlerts},
		{Method: "POST", Path: "/api/v1/alerts/{id}/resolve", Perm: forewarn.PermResolveAlerts, Tag: "messages", Summary: "Close an alert for one of the caller's roles without acknowledging its message: the reason is required and, on a received message, travels to its sender as a read-stage acknowledgement", Request: "AlertAnswer", Response: "Alert", handler: s.handleResolveAlert},

		{Method: "GET", Path: "/api/v1/subjects", Purpose: purposeOptional, Perm: forewarn.PermReadSubjects, Tag: "subjects", Summary: "List subjects (an audited read); without a purpose (when the node's policy asks for one first) by ID, watch status and dates only (details_withheld says so)", Query: append([]string{"watch"}, pageQuery...), Response: "SubjectPage", handler: s.handleListSubjects},
		{Method: "POST", Path: "/api/v1/subjects", Perm: forewarn.PermWriteSubjects, Tag: "subjects", Summary: "Create a subject; answers with what the node was told about the person before", Request: "Subject", Response: "SubjectSaved", Status: http.StatusCreated, handler: s.handleCreateSubject},
		{Method: "GET", Path: "/api/v1/subjects/{id}", Purpose: purposeRequired, Perm: forewarn.PermReadSubjects, Tag: "subjects", Summary: "A subject with claims, conflicts, links and matches (an audited read)", Response: "SubjectDetail", handler: s.handleGetSubject},
		{Method: "PUT", Path: "/api/v1/subjects/{id}", Perm: forewarn.PermWriteSubjects, Tag: "subjects", Summary: "Edit a subject; answers with earlier messages about the person", Request: "Subject", Response: "SubjectSaved", handler: s.handleUpdateSubject},
		{Method: "GET", Path: "/api/v1/subjects/{id}/timeline", Purpose: purposeRequired, Perm: forewarn.PermReadSubjects, Tag: "subjects", Summary: "Everything about the subject on one time axis, each with its source", Response: "Timeline", handler: s.handleTimeline},
		{Method: "GET", Path: "/api/v1/subjects/{id}/network", Purpose: purposeRequired, Perm: forewarn.PermReadSubjects, Tag: "subjects", Summary: "Persons within n hops of the subject and the links between them", Query: []string{"hops"}, Response: "Network", handler: s.handleNetwork},
		{Method: "GET", Path: "/api/v1/subjects/{id}/claims", Purpose: purposeRequired, Perm: forewarn.PermReadSubjects, Tag: "claims", Summary: "The subject's claims and the conflicts among them", Response: "ClaimList", handler: s.handleListClaims},
		{Method: "POST", Path: "/api/v1/subjects/{id}/claims", Perm: forewarn.PermWriteSubjects, Tag: "claims", Summary: "Record a graded, sourced claim about the subject", Request: "Claim", Response: "Claim", Status: http.StatusCreated, handler: s.handleCreateClaim},
		{Method: "POST", Path: "/api/v1/claims/{id}/prefer", Perm: forewarn.PermWriteSubjects, Tag: "claims", Summary: "Mark a claim preferred among those it conflicts with, with a reason", Request: "Reason", Response: "ClaimList", handler: s.handlePreferClaim},
		{Method: "GET", Path: "/api/v1/subjects/{id}/links", Purpose: purposeRequired, Perm: forewarn.PermReadSubjects, Tag: "links", Summary: "The subject's links to other subjects", Response: "LinkList", handler: s.handleListLinks},
		{Method: "POST", Path: "/api/v1/links", Perm: forewarn.PermWriteSubjects, Tag: "links", Summary: "Link two subjects (associate of, travelled with, identified through)", Request: "Link", Response: "Link", Status: http.StatusCreated, handler: s.handleCreateLink},

		{Method: "POST", Path: "/api/v1/imports", Perm: forewarn.PermWriteSubjects, Tag: "imports", Summary: "Import a dataset (the body is the file, streamed to disk; format=ofac takes multipart/form-data with the parts sdn, alt and add, or a zip of sdn.csv, alt.csv and add.csv); answers 202 with the job to poll",
			Query: []string{"format", "dataset", "version", "dry_run", "on_error", "encoding", "grading"}, Response: "ImportJob", Status: http.StatusAccepted, handler: s.handleCreateImport},
		{Method: "GET", Path: "/api/v1/imports", Perm: forewarn.PermReadSubjects, Tag: "imports", Summary: "Recent import jobs with their counts", Query: []string{"dataset", "limit"}, Response: "ImportJobPage", handler: s.handleListImports},
		{Method: "GET", Path: "/api/v1/imports/{id}", Perm: forewarn.PermReadSubjects, Tag: "imports", Summary: "An import job: status, counts, bad rows", Response: "ImportJob", handler: s.handleGetImport},

		{Method: "GET", Path: "/api/v1/matches", Purpose: purposeOptional, Perm: forewarn.PermReadSubjects, Tag: "matches", Summary: "List matches; without a purpose (when the node's policy asks for one first) without their summaries and explanations, which name the persons (details_withheld says so)", Query: append([]string{"subject", "message", "status"}, pageQuery...), Response: "MatchPage", handler: s.handleListMatches},
		{Method: "GET", Path: "/api/v1/matches/{id}", Purpose: purposeRequired, Perm: forewarn.PermReadSubjects, Tag: "matches", Summary: "A match with its full explanation (an audited read; it needs a purpose)", Response: "Match", handler: s.handleGetMatch},
		{Method: "POST", Path: "/api/v1/matches/{id}/confirm", Perm: forewarn.PermReviewMatches, Tag: "matches", Summary: "Confirm a match: the description joins the subject as sourced aliases and claims", Request: "Reason", Response: "Match", handler: s.handleConfirmMatch},
		{Method: "POST", Path: "/api/v1/matches/{id}/reject", Perm: forewarn.PermReviewMatches, Tag: "matches", Summary: "Reject a match: the pair never alerts again", Request: "Reason", Response: "Match", handler: s.handleRejectMatch},
		{Method: "GET", Path: "/api/v1/search", Purpose: purposeOptional, Perm: forewarn.PermReadSubjects, Tag: "search", Summary: "Fuzzy search across subjects and received persons, explained (audited)", Query: []string{"name", "birth_date", "nationality", "limit", "min_score"}, Response: "SearchResults", handler: s.handleSearch},

		{Method: "GET", Path: "/api/v1/purposes", Perm: forewarn.PermReadSubjects, Tag: "subjects", Summary: "The node's purposes of access: opening a subject needs one (purpose, purpose_text where its entry says text_required), and search shows who it found only for one when search_needs_purpose", Response: "PurposePolicy", handler: s.handlePurposes},

		{Method: "GET", Path: "/api/v1/audit", Perm: forewarn.PermReadAudit, Tag: "audit", Summary: "The audit trail, oldest first", Query: []string{"actor", "action", "object_type", "object", "after_seq", "since", "until", "limit"}, Response: "AuditPage", handler: s.handleListAudit},
		{Method: "POST", Path: "/api/v1/audit/verify", Perm: forewarn.PermReadAudit, Tag: "audit", Summary: "Verify the hash chain and the signed checkpoints", Response: "AuditReport", handler: s.handleVerifyAudit},

		{Method: "GET", Path: "/api/v1/peers", Perm: forewarn.PermReadPeers, Tag: "admin", Summary: "Peer agencies this node exchanges messages with", Response: "PeerPage", handler: s.handleListPeers},
		{Method: "POST", Path: "/api/v1/peers", Perm: forewarn.PermManagePeers, Tag: "admin", Summary: "Register a peer agency with its pinned public key", Request: "Peer", Response: "Peer", Status: http.StatusCreated, handler: s.handleAddPeer},
		{Method: "PUT", Path: "/api/v1/peers/{code}/private-limit", Perm: forewarn.PermManagePeers, Tag: "admin", Summary: "How many persons the peer may ask about privately in a day", Request: "PrivateLimit", Response: "PrivateLimit", handler: s.handleSetPrivateLimit},
		{Method: "GET", Path: "/api/v1/private-use", Perm: forewarn.PermManagePeers, Tag: "admin", Summary: "How often each peer asked privately today, with its limit", Response: "PrivateUseList", handler: s.handlePrivateUse},
		{Method: "DELETE", Path: "/api/v1/peers/{code}", Perm: forewarn.PermManagePeers, Tag: "admin", Summary: "Remove a peer agency", Status: http.StatusNoContent, handler: s.handleRemovePeer},
		{Method: "GET", Path: "/api/v1/users", Perm: forewarn.PermManageUsers, Tag: "admin", Summary: "Users of this node", Response: "UserPage", handler: s.handleListUsers},
		{Method: "POST", Path: "/api/v1/users/{username}/disable", Perm: forewarn.PermManageUsers, Tag: "admin", Summary: "Disable a user: their sessions end and their tokens are revoked", Response: "User", handler: s.handleSetUserDisabled(true)},
		{Method: "POST", Path: "/api/v1/users/{username}/enable", Perm: forewarn.PermManageUsers, Tag: "admin", Summary: "Enable a disabled user again", Response: "User", handler: s.handleSetUserDisabled(false)},
		{Method: "POST", Path: "/api/v1/users", Perm: forewarn.PermManageUsers, Tag: "admin", Summary: "Create a user; answers with a one-time password", Request: "NewUser", Response: "UserCreated", Status: http.StatusCreated, handler: s.handleCreateUser},
		{Method: "POST", Path: "/api/v1/tokens", Perm: forewarn.PermManageOwnToken, Tag: "admin", Summary: "Create an API token for oneself, lasting days (default 90), shown once", Request: "NewToken", Response: "TokenCreated", Status: http.StatusCreated, handler: s.handleCreateToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Perm: forewarn.PermManageOwnToken, Tag: "admin", Summary: "Revoke an API token", Status: http.StatusNoContent, handler: s.handleRevokeToken},
	}
}

// allRoutes is the route table with the notification endpoints (httpapi/notify.go).
func (s *Server) allRoutes() []route {
	rts := append(append(append(append(s.routeTable(), s.notificationRoutes()...), append(s.forwardRoutes(), s.reportRoutes()...)...), s.retentionRoutes()...), s.agreementRoutes()...)
	for i, rt := range rts {
		if rt.Purpose != purposeNone {
			rts[i].Query = slices.Concat(rt.Query, []string{"purpose", "purpose_text"})
		}
	}
	return rts
}

func (s *Server) routes() {
	for _, rt := range s.allRoutes() {
		pattern := rt.Method + " " + rt.Path
		if rt.raw != nil {
			s.handle(pattern, rt.raw)
			continue
		}
		s.handle(pattern, s.authorized(rt.Perm, s.withPurpose(rt.Purpose, rt.handler)))
	}
}
