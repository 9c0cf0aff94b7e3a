package httpstep_test

import (
	"context"
	"iter"
	"net/http"
	"os"
	"time"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/curl"
)

// The README's Go snippets, compiled (not run: they name hosts that tests
// never contact). Each body is the README's text, with only the
// declarations around it that the README leaves to the reader.

func readmeInGo(ctx context.Context, stored []byte, key string) error {
	client := &httpstep.Client{}
	node, err := httpstep.ParseNode(stored)
	if err != nil {
		return err
	}

	res, err := client.Execute(ctx, node, httpstep.Values{
		"feedback": map[string]any{"ip": "115.236.1.10"},
		"org":      map[string]any{"apiKey": httpstep.Secret(key)},
	})
	if err != nil {
		return err
	}
	city, ok := res.Lookup("result.City")
	rows, err := res.Rows("data.orders")
	history := res.Attempts
	_, _, _, _ = city, ok, rows, history
	return err
}

func readmePush(ctx context.Context, receiverURL string, purchase map[string]any) error {
	node := httpstep.PushNode(receiverURL, "record")
	client := &httpstep.Client{SigningSecret: httpstep.Secret("whsec_...")}
	res, err := client.Execute(ctx, node, httpstep.Values{"record": purchase})
	_ = res
	return err
}

func readmeDownload(ctx context.Context, client *httpstep.Client, exportURL string, uploadNode *httpstep.NodeConfig) error {
	down, err := client.Execute(ctx, &httpstep.NodeConfig{URL: exportURL, Download: true}, nil)
	if err != nil {
		return err
	}
	defer os.Remove(down.File.Path)
	_, err = client.Execute(ctx, uploadNode, httpstep.Values{"file": down.File})
	return err
}

func readmeEach(ctx context.Context, node *httpstep.NodeConfig, rows iter.Seq[httpstep.Params], save func(int, *httpstep.Result)) error {
	client := &httpstep.Client{
		Limits:  []httpstep.Limit{{Host: "api.example.com", PerSecond: 10, Burst: 5, MaxConcurrent: 4}},
		Breaker: &httpstep.Breaker{Failures: 5, Cooldown: httpstep.Duration(30 * time.Second)},
	}
	step, err := node.Compile()
	if err != nil {
		return err
	}
	err = client.Each(ctx, step, rows, 8, func(i int, res *httpstep.Result, err error) bool {
		save(i, res)
		return true
	})
	return err
}

var _ = []any{readmeInGo, readmePush, readmeDownload, readmeEach, readmeCurl, readmeConsentStart, readmeConsentDone}

func readmeCurl(pasted string, show func(string)) error {
	node, notes, err := curl.Import(pasted)
	if err != nil {
		return err
	}
	for _, note := range notes {
		show(note)
	}
	cmd, err := node.Curl(nil)
	_ = cmd
	return err
}

// readmeConsentStart and readmeConsentDone are the README's "Connecting an
// account", split where the person's browser goes away and comes back.
func readmeConsentStart(client *httpstep.Client, params httpstep.Params, w http.ResponseWriter, r *http.Request) (*httpstep.Step, *httpstep.Consent, error) {
	node := &httpstep.NodeConfig{URL: "https://www.googleapis.com/drive/v3/files", Auth: &httpstep.Auth{
		Type: httpstep.AuthOAuth2, OAuth2: &httpstep.OAuth2{Grant: httpstep.GrantRefreshToken,
			TokenURL: "https://oauth2.googleapis.com/token", ClientID: "{{app.clientId}}", ClientSecret: "{{app.clientSecret}}",
			RefreshToken: "{{conn.refreshToken}}", Scopes: []string{"https://www.googleapis.com/auth/drive.readonly"}}}}
	step, err := node.Compile()
	if err != nil {
		return nil, nil, err
	}
	consent, err := client.StartConsent(step, params, httpstep.ConsentRequest{
		AuthURL:     "https://accounts.google.com/o/oauth2/v2/auth",
		RedirectURL: "https://engine.example.com/connect/done",
		Params:      []httpstep.KeyValue{{Key: "access_type", Value: "offline"}, {Key: "prompt", Value: "consent"}},
	})
	if err != nil {
		return nil, nil, err
	}
	http.Redirect(w, r, consent.URL, http.StatusFound)
	return step, consent, nil
}

func readmeConsentDone(ctx context.Context, client *httpstep.Client, step *httpstep.Step, params httpstep.Params,
	consent *httpstep.Consent, r *http.Request, saveConnectionSecret func(string, string)) error {
	tok, err := client.FinishConsent(ctx, step, params, consent, r.URL.Query())
	if err != nil {
		return err
	}
	saveConnectionSecret("conn.refreshToken", tok.RefreshToken)
	return nil
}
