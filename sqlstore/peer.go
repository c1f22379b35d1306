package sqlstore

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/forewarn/forewarn"
)

// AddPeer registers a partner agency's node and pins its key; ECONFLICT when the agency
// is already a peer.
func (db *DB) AddPeer(ctx context.Context, actor forewarn.Actor, p *forewarn.Peer) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if p == nil {
		return required("peer")
	}
	if err := p.Agency.Validate(); err != nil {
		return err
	}
	if strings.TrimSpace(p.BaseURL) == "" {
		return forewarn.Invalid("base_url", "required", "a peer needs the base URL of its node")
	}
	if err := checkText("base_url", p.BaseURL, 2000); err != nil {
		return err
	}
	if len(p.PublicKey) != ed25519.PublicKeySize {
		return forewarn.Invalid("public_key", "ed25519", "a peer's key must be an ed25519 public key of %d bytes; it has %d", ed25519.PublicKeySize, len(p.PublicKey))
	}
	v := *p
	v.PublicKey = slices.Clone(p.PublicKey)
	v.AddedAt = now
	err := db.update(ctx, now, "add peer", func(tx *tx) error {
		// A node is not its own peer, and a key is one agency's: pinning it for a second
		// would let that agency sign as the other.
		var selfCode, selfKey string
		err := tx.queryRow(ctx, "SELECT agency_code, public_key FROM node WHERE id = 1").Scan(&selfCode, &selfKey)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read node: %w", err)
		}
		if v.Agency.Code == selfCode {
			return forewarn.Invalid("agency.code", "not_self", "%s is this node's own agency; a node does not add itself as a peer", v.Agency.Code)
		}
		if hex.EncodeToString(v.PublicKey) == selfKey {
			return forewarn.Invalid("public_key", "not_self", "that is this node's own public key; give the peer's key, as 'forewarn key show' prints it on the peer's node")
		}
		var holder string
		err = tx.queryRow(ctx, "SELECT agency_code FROM peers WHERE public_key = ?", hex.EncodeToString(v.PublicKey)).Scan(&holder)
		if err == nil {
			return forewarn.Invalid("public_key", "unique", "that key is already pinned for peer %s; one key belongs to one agency", holder)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read peers: %w", err)
		}
		if _, err := tx.exec(ctx, "INSERT INTO peers (agency_code, agency_name, agency_country, base_url, public_key, added_at) VALUES (?, ?, ?, ?, ?, ?)",
			v.Agency.Code, v.Agency.Name, v.Agency.Country, v.BaseURL, hex.EncodeToString(v.PublicKey), FormatTime(v.AddedAt)); err != nil {
			if db.dialect.IsUniqueViolation(err) {
				return db.conflict(err, "%s is already a peer of this node; remove it first to change its URL or key", v.Agency.Code)
			}
			return fmt.Errorf("insert peer: %w", err)
		}
		return tx.audit(ctx, actor, "peer.add", "peer", v.Agency.Code, nil, &v, "url "+v.BaseURL)
	})
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// RemovePeer unregisters a peer. What was exchanged with it stays.
func (db *DB) RemovePeer(ctx context.Context, actor forewarn.Actor, code string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	return db.update(ctx, db.now(), "remove peer", func(tx *tx) error {
		old, err := tx.peer(ctx, code)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM peers WHERE agency_code = ?", code); err != nil {
			return fmt.Errorf("delete peer: %w", err)
		}
		return tx.audit(ctx, actor, "peer.remove", "peer", code, old, nil, "")
	})
}

// Peer returns the peer with that agency code.
func (db *DB) Peer(ctx context.Context, code string) (*forewarn.Peer, error) {
	var p *forewarn.Peer
	err := db.viewOne(ctx, "read peer", func(tx *tx) error {
		var err error
		p, err = tx.peer(ctx, code)
		return err
	})
	return p, err
}

const peerColumns = "agency_code, agency_name, agency_country, base_url, public_key, added_at"

func (tx *tx) peer(ctx context.Context, code string) (*forewarn.Peer, error) {
	p, err := scanPeer(tx.queryRow(ctx, "SELECT "+peerColumns+" FROM peers WHERE agency_code = ?", code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("%q is not a peer of this node", code)
	}
	return p, err
}

// Peers returns every peer, by agency code.
func (db *DB) Peers(ctx context.Context) ([]*forewarn.Peer, error) {
	ps := []*forewarn.Peer{}
	err := db.viewOne(ctx, "list peers", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT "+peerColumns+" FROM peers ORDER BY agency_code")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPeer(rows)
			if err != nil {
				return err
			}
			ps = append(ps, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return ps, nil
}

func scanPeer(s scanner) (*forewarn.Peer, error) {
	var p forewarn.Peer
	var key, added string
	if err := s.Scan(&p.Agency.Code, &p.Agency.Name, &p.Agency.Country, &p.BaseURL, &key, &added); err != nil {
		return nil, err
	}
	var err error
	if p.PublicKey, err = hex.DecodeString(key); err != nil {
		return nil, fmt.Errorf("peer %s public key: %w", p.Agency.Code, err)
	}
	if p.AddedAt, err = ParseTime(added); err != nil {
		return nil, fmt.Errorf("peer %s: %w", p.Agency.Code, err)
	}
	return &p, nil
}

// PeerHealth aggregates the outgoing deliveries per agency: the last receipt, the backlog
// still undelivered, and since when the oldest failed one (a message not delivered after
// an attempt) has waited, with its last error.
func (db *DB) PeerHealth(ctx context.Context) (map[string]*forewarn.PeerHealth, error) {
	out := map[string]*forewarn.PeerHealth{}
	get := func(agency string) *forewarn.PeerHealth {
		h := out[agency]
		if h == nil {
			h = &forewarn.PeerHealth{Agency: agency}
			out[agency] = h
		}
		return h
	}
	err := db.view(ctx, "peer health", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT agency, MAX(delivered_at) FROM deliveries WHERE direction = 'out' AND delivered_at IS NOT NULL GROUP BY agency")
		if err != nil {
			return err
		}
		for rows.Next() {
			var agency string
			var last sql.NullString
			if err := rows.Scan(&agency, &last); err != nil {
				rows.Close()
				return err
			}
			if get(agency).LastDelivered, err = parseNullTime(last); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.query(ctx, "SELECT d.agency, d.attempts, d.last_error, m.stored_at FROM deliveries d JOIN messages m ON m.id = d.message_id "+
			"WHERE d.direction = 'out' AND d.delivered_at IS NULL ORDER BY m.stored_at")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var agency, lastErr, stored string
			var attempts int
			if err := rows.Scan(&agency, &attempts, &lastErr, &stored); err != nil {
				return err
			}
			h := get(agency)
			h.Backlog++
			if attempts > 0 && h.FailingSince.IsZero() {
				if h.FailingSince, err = ParseTime(stored); err != nil {
					return err
				}
				h.LastError = lastErr
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
