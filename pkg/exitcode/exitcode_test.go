package exitcode

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("x"), Failure},
		{"usage", New(Usage, "bad flag"), Usage},
		{"wrapped verification", fmt.Errorf("fetch: %w", Wrap(Verification, errors.New("sha256 mismatch"))), Verification},
		{"cancelled", fmt.Errorf("build: %w", context.Canceled), Interrupted},
		{"code wins over cancel", Wrap(BuildRed, context.Canceled), BuildRed},
	}
	for _, tt := range tests {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("%s: Of() = %d, want %d", tt.name, got, tt.want)
		}
	}
	if Wrap(Usage, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}
