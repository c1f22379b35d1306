package sqlstore_test

import (
	"testing"

	"github.com/forewarn/forewarn/internal/testdata"
)

// TestMain prints which tests were skipped and how to run them.
func TestMain(m *testing.M) { testdata.Main(m) }
