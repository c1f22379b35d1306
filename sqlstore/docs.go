package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// queryDocs runs q, whose one column holds a JSON document, and decodes each row into a new T.
// The result is never nil, so an empty list encodes as [] rather than null.
func queryDocs[T any](ctx context.Context, tx *tx, what, q string, args ...any) ([]*T, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*T{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal([]byte(data), v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryDoc runs q, whose one row and column holds a JSON document, and decodes it into a new T.
// No row is the error missing; what names the document in the other errors.
func queryDoc[T any](ctx context.Context, tx *tx, what string, missing error, q string, args ...any) (*T, error) {
	var data string
	err := tx.queryRow(ctx, q, args...).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, missing
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	v := new(T)
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}
