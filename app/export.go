package app

import (
	"context"
	"fmt"

	"github.com/forewarn/forewarn"
)

// ExportOptions configure an export of subjects.
type ExportOptions struct {
	Format string // for the audit trail
	// Backup exports everything, including what handling marks forbid to release: only
	// for an administrator's backup.
	Backup bool
	// Claims reads each subject's claims too (the CSV export carries them).
	Claims bool
}

// ExportReport says what an export wrote and what it held back.
type ExportReport struct {
	Subjects int `json:"subjects"`
	// Withheld counts names and claims left out because the message they came in may not
	// be released further (TLP:AMBER and above, a release list, or originator consent).
	Withheld int `json:"withheld"`
}

// ExportSubjects calls fn with every subject and (when asked) its claims, holding back
// the names and claims that came in messages whose handling marks forbid release, unless
// the export is an administrator's backup. The export is audited as one read.
func (n *Node) ExportSubjects(ctx context.Context, actor forewarn.Actor, opt ExportOptions, fn func(*forewarn.Subject, []*forewarn.Claim) error) (*ExportReport, error) {
	// Which confirmed matches brought a restricted message's names into which subject.
	restricted := map[string]map[string]bool{} // subject ID → sender agencies whose names are held back
	restrictedMsgs := map[string]bool{}
	checked := map[string]bool{} // message ID → asked CheckEgress already
	if !opt.Backup {
		for offset := 0; ; {
			page, total, err := n.Store.Matches(ctx, forewarn.MatchFilter{Status: forewarn.MatchConfirmed, Offset: offset, Limit: 1000})
			if err != nil {
				return nil, err
			}
			for _, m := range page {
				if m.SubjectID == "" {
					continue
				}
				sm, err := n.Store.Message(ctx, m.MessageID)
				if err != nil {
					return nil, err
				}
				if sm.Direction != forewarn.DirectionIn {
					continue // this node's own words: it is their originator
				}
				if !checked[m.MessageID] {
					checked[m.MessageID] = true
					err := n.CheckEgress(ctx, actor, forewarn.Egress{Path: forewarn.EgressExport, MessageID: m.MessageID, Marks: sm.Message.Marks, Originator: sm.Message.From})
					if err == nil {
						continue
					}
					if forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
						return nil, err
					}
					restrictedMsgs[m.MessageID] = true
				}
				if !restrictedMsgs[m.MessageID] {
					continue
				}
				restrictedMsgs[m.MessageID] = true
				if restricted[m.SubjectID] == nil {
					restricted[m.SubjectID] = map[string]bool{}
				}
				restricted[m.SubjectID][sm.Message.From] = true
			}
			offset += len(page)
			if len(page) == 0 || offset >= total {
				break
			}
		}
	}
	// The read is audited before anything leaves the node.
	detail := fmt.Sprintf("export format=%s backup=%t", opt.Format, opt.Backup)
	if err := n.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: actor, Action: "subject.export", ObjectType: "subject", Detail: detail}); err != nil {
		return nil, err
	}
	rep := &ExportReport{}
	err := n.Store.ScanSubjects(ctx, func(s *forewarn.Subject) error {
		if from := restricted[s.ID]; from != nil {
			kept := s.Names[:0]
			for _, nm := range s.Names {
				if nm.Kind == forewarn.NameAlias && from[nm.Source] {
					rep.Withheld++
					continue
				}
				kept = append(kept, nm)
			}
			s.Names = kept
		}
		var claims []*forewarn.Claim
		if opt.Claims {
			all, err := n.Store.Claims(ctx, s.ID)
			if err != nil {
				return err
			}
			for _, c := range all {
				if c.MessageID != "" && restrictedMsgs[c.MessageID] {
					rep.Withheld++
					continue
				}
				claims = append(claims, c)
			}
		}
		rep.Subjects++
		return fn(s, claims)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}
