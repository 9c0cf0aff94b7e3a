package throttle

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSleep: Sleep waits, returns at once for nothing to wait, and ends
// with the context's cause when it is canceled before or during the wait.
func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("short sleep: %v", err)
	}
	if err := Sleep(context.Background(), -time.Second); err != nil {
		t.Errorf("negative sleep: %v", err)
	}
	cause := errors.New("run stopped")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, cause) {
		t.Errorf("canceled sleep = %v, want %v", err, cause)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel2)
	if err := Sleep(ctx2, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep canceled midway = %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("canceled sleeps took %v", el)
	}
}
