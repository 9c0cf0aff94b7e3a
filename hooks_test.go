package httpstep

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hookPath carries, in a context, the events a hookLog's Start hooks opened.
type hookPath struct{}

// hookLog records the events of a Client's Hooks, each as the path of
// Start events it nests in: "run/page1/attempt1 done 200".
type hookLog struct {
	mu     sync.Mutex
	events []string
}

func (l *hookLog) add(ctx context.Context, event string) {
	p, _ := ctx.Value(hookPath{}).(string)
	l.mu.Lock()
	l.events = append(l.events, strings.TrimPrefix(p+" "+event, " "))
	l.mu.Unlock()
}

func (l *hookLog) open(ctx context.Context, name string) context.Context {
	p, _ := ctx.Value(hookPath{}).(string)
	return context.WithValue(ctx, hookPath{}, strings.TrimPrefix(p+"/"+name, "/"))
}

func (l *hookLog) hooks() *Hooks {
	return &Hooks{
		RunStart: func(ctx context.Context) context.Context { return l.open(ctx, "run") },
		RunDone:  func(ctx context.Context, r *Result) { l.add(ctx, fmt.Sprint("done ", r.StatusCode)) },
		PageStart: func(ctx context.Context, n int) context.Context {
			return l.open(ctx, fmt.Sprint("page", n))
		},
		PageDone: func(ctx context.Context, r *Result) { l.add(ctx, fmt.Sprint("done ", r.StatusCode)) },
		PollStart: func(ctx context.Context, n int) context.Context {
			return l.open(ctx, fmt.Sprint("poll", n))
		},
		PollDone: func(ctx context.Context, r *Result) { l.add(ctx, fmt.Sprint("done ", r.StatusCode)) },
		AttemptStart: func(ctx context.Context, n int) context.Context {
			return l.open(ctx, fmt.Sprint("attempt", n))
		},
		InjectTraceContext: func(ctx context.Context, h http.Header) {
			p, _ := ctx.Value(hookPath{}).(string)
			h.Set("X-Hook", p)
		},
		AttemptDone: func(ctx context.Context, a *Attempt) {
			status := 0
			if a.Response != nil {
				status = a.Response.Status
			}
			l.add(ctx, fmt.Sprint("done ", status, " ", a.Kind))
		},
		TokenRequest: func(ctx context.Context, a *Attempt) { l.add(ctx, "token "+a.Auth+" "+a.Request.URL) },
		Redirect:     func(ctx context.Context, r *RedirectRecord) { l.add(ctx, fmt.Sprint("redirect ", r.Status)) },
	}
}

// TestHooks: a Client's Hooks see every run, page, poll, attempt, token
// request and redirect, nested as they happen, and the headers the Header
// hook adds reach the server and the history.
func TestHooks(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls[r.URL.Path]++
		n := calls[r.URL.Path]
		mu.Unlock()
		switch r.URL.Path {
		case "/token":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"tok-s3cret","token_type":"Bearer","expires_in":3600}`)
		case "/moved":
			http.Redirect(w, r, "/flaky", http.StatusFound)
		case "/flaky":
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, `{}`)
		case "/pages":
			if r.URL.Query().Get("page") == "2" {
				fmt.Fprint(w, `{"items":[]}`)
				return
			}
			fmt.Fprint(w, `{"items":[1]}`)
		case "/job":
			if r.Method == http.MethodPost {
				w.Header().Set("Location", "/job")
				w.WriteHeader(http.StatusAccepted)
				return
			}
			fmt.Fprint(w, `{"status":"done"}`)
		}
	})
	oauth := Auth{Type: AuthOAuth2, OAuth2: &OAuth2{Grant: GrantClientCredentials, TokenURL: srv.URL + "/token", ClientID: "c", ClientSecret: "cs"}}
	for _, tc := range []struct {
		name string
		node NodeConfig
		want []string
	}{
		{"retry, redirect, token", NodeConfig{URL: srv.URL + "/moved", Auth: &oauth, Retry: &RetryPolicy{MaxAttempts: 2, InitialInterval: Duration(100 * time.Millisecond)}}, []string{
			"run/attempt1 redirect 302",
			"run/attempt1 token token " + srv.URL + "/token",
			"run/attempt1 done 503 status",
			"run/attempt2 redirect 302",
			"run/attempt2 done 200 ",
			"run done 200",
		}},
		{"pages", NodeConfig{URL: srv.URL + "/pages", Paginate: &Pagination{Mode: "page", Param: "page", ItemsPath: "items"}}, []string{
			"run/page1/attempt1 done 200 ",
			"run/page1 done 200",
			"run/page2/attempt1 done 200 ",
			"run/page2 done 200",
			"run done 200",
		}},
		{"polls", NodeConfig{Method: "POST", URL: srv.URL + "/job", Async: &Async{StatusPath: "status", DoneValues: []string{"done"}, Interval: Duration(100 * time.Millisecond)}}, []string{
			"run/attempt1 done 202 ",
			"run/poll1/attempt1 done 200 ",
			"run/poll1 done 200",
			"run done 200",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l hookLog
			c := testClient(t)
			c.Hooks = l.hooks()
			res, err := c.Execute(context.Background(), &tc.node, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, l.events)
			last := res.Attempts[len(res.Attempts)-1]
			assert.Equal(t, srv.last(t).Header.Get("X-Hook"), last.Request.Header["X-Hook"][0], "the history shows the header sent")
			assert.True(t, strings.HasPrefix(srv.last(t).Header.Get("X-Hook"), "run/"), "the header was added in the attempt's context")
		})
	}
}

// TestHooksPartial: a Hooks with only some funcs set, and Start hooks that
// return nil, run the node as without hooks.
func TestHooksPartial(t *testing.T) {
	srv := newRecorder(t, nil)
	var done int
	c := testClient(t)
	c.Hooks = &Hooks{
		RunStart:    func(context.Context) context.Context { return nil },
		AttemptDone: func(context.Context, *Attempt) { done++ },
	}
	_, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, done)
}

// TestHooksNoTraceContext: a node that sets NoTraceContext sends no header
// from the InjectTraceContext hook, and its other hooks still run.
func TestHooksNoTraceContext(t *testing.T) {
	srv := newRecorder(t, nil)
	var l hookLog
	c := testClient(t)
	c.Hooks = l.hooks()
	res, err := c.Execute(context.Background(), &NodeConfig{URL: srv.URL, NoTraceContext: true}, nil)
	require.NoError(t, err)
	assert.Empty(t, srv.last(t).Header.Values("X-Hook"))
	assert.NotContains(t, res.Attempts[0].Request.Header, "X-Hook")
	assert.Equal(t, []string{"run/attempt1 done 200 ", "run done 200"}, l.events)
}
