package forewarn

// Permission is one thing a user may be allowed to do on a node.
type Permission string

// The permissions every page and endpoint checks.
const (
	PermReadMessages   Permission = "messages.read"  // inbox, outbox, threads, alerts
	PermSendMessages   Permission = "messages.send"  // send requests, warnings, responses to peers
	PermAckMessages    Permission = "messages.ack"   // mark read, acknowledge
	PermReadOverdue    Permission = "overdue.read"   // the overdue board
	PermReadSubjects   Permission = "subjects.read"  // subjects, claims, links, timelines, search
	PermWriteSubjects  Permission = "subjects.write" // create and edit subjects, claims, links
	PermReviewMatches  Permission = "matches.review" // confirm or reject matches
	PermReadAudit      Permission = "audit.read"     // the audit trail and its verification
	PermManagePeers    Permission = "peers.manage"   // peer agencies and their keys
	PermReadPeers      Permission = "peers.read"     // the list of peer agencies, to address them or watch their links
	PermManageUsers    Permission = "users.manage"   // users, roles and API tokens
	PermManageOwnToken Permission = "tokens.own"     // one's own API tokens
	PermResolveAlerts  Permission = "alerts.resolve" // mark an alert for one's desk dealt with

	PermManageNotifications Permission = "notifications.manage" // channels, webhooks, the delivery log, dead letters
	PermOwnNotifications    Permission = "notifications.own"    // one's own e-mail address and notification choices
	PermRetention           Permission = "retention.review"     // keep or erase subjects and received messages at their review
)

// rolePermissions is the whole access policy in one table. Oversight reads everything,
// the audit trail included, and changes nothing; an analyst cannot send to peers unless
// also liaison; only an administrator manages users, peers and keys.
var rolePermissions = map[Role][]Permission{
	RoleAnalyst:    {PermReadMessages, PermReadPeers, PermReadSubjects, PermWriteSubjects, PermReviewMatches, PermManageOwnToken, PermResolveAlerts, PermOwnNotifications, PermRetention},
	RoleLiaison:    {PermReadMessages, PermReadPeers, PermSendMessages, PermAckMessages, PermReadSubjects, PermManageOwnToken, PermResolveAlerts, PermOwnNotifications, PermRetention},
	RoleSupervisor: {PermReadMessages, PermReadPeers, PermAckMessages, PermReadOverdue, PermReadSubjects, PermReviewMatches, PermManageOwnToken, PermResolveAlerts, PermOwnNotifications, PermRetention},
	RoleOversight:  {PermReadMessages, PermReadPeers, PermReadOverdue, PermReadSubjects, PermReadAudit},
	RoleAdmin:      {PermManagePeers, PermReadPeers, PermManageUsers, PermReadAudit, PermManageOwnToken, PermManageNotifications, PermOwnNotifications},
}

// Can reports whether role r grants permission p.
func (r Role) Can(p Permission) bool {
	for _, x := range rolePermissions[r] {
		if x == p {
			return true
		}
	}
	return false
}

// RolesWith lists the roles that grant permission p, so a refusal can say whose token or
// sign-in would do.
func RolesWith(p Permission) []Role {
	var rs []Role
	for _, r := range Roles {
		if r.Can(p) {
			rs = append(rs, r)
		}
	}
	return rs
}

// Principal is who is making a request: a user, acting in the roles of their session or
// in the one role of their API token.
type Principal struct {
	Username string `json:"username"`
	Roles    []Role `json:"roles"`
	TokenID  string `json:"token_id,omitempty"`
	// Program says the principal is another program acting with a program token.
	Program bool `json:"program,omitempty"`
}

// HasRole reports whether the principal acts in role r.
func (p *Principal) HasRole(r Role) bool {
	if p == nil {
		return false
	}
	for _, x := range p.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Can reports whether any of the principal's roles grants p.
func (p *Principal) Can(perm Permission) bool {
	if p == nil {
		return false
	}
	for _, r := range p.Roles {
		if r.Can(perm) {
			return true
		}
	}
	return false
}

// Actor returns the principal as the audit trail records it, with the API token it acts
// with.
func (p *Principal) Actor() Actor { return Actor{Kind: ActorUser, ID: p.Username, Token: p.TokenID} }
