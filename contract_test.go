package httpstep_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"iter"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/tidwall/gjson"

	"github.com/httpstep/httpstep"
	"github.com/httpstep/httpstep/curl"
)

// This file pins every name that ../shared/DESIGN.md fixes to its exact
// signature and field types: code outside the repository compiles against
// them, so a rename or a changed type must break this build first.

var (
	_ func(context.Context, *httpstep.NodeConfig, httpstep.Params) (*httpstep.Result, error)                   = httpstep.Execute
	_ func(*httpstep.Client, context.Context, *httpstep.NodeConfig, httpstep.Params) (*httpstep.Result, error) = (*httpstep.Client).Execute
	_ func(*httpstep.Client, context.Context, *httpstep.Step, httpstep.Params) (*httpstep.Result, error)       = (*httpstep.Client).Run
	_ func(*httpstep.Client, context.Context, *httpstep.Step, iter.Seq[httpstep.Params], int,
		func(int, *httpstep.Result, error) bool) error = (*httpstep.Client).Each
	_ func(*httpstep.NodeConfig) error                            = (*httpstep.NodeConfig).Validate
	_ func(*httpstep.NodeConfig) []string                         = (*httpstep.NodeConfig).Refs
	_ func(*httpstep.NodeConfig) (*httpstep.Step, error)          = (*httpstep.NodeConfig).Compile
	_ func(*httpstep.NodeConfig, httpstep.Params) (string, error) = (*httpstep.NodeConfig).Curl
	_ func(*httpstep.Result) bool                                 = (*httpstep.Result).OK
	_ func(*httpstep.Result, string) gjson.Result                 = (*httpstep.Result).Get
	_ func(*httpstep.Result, string) (gjson.Result, bool)         = (*httpstep.Result).Lookup
	_ func(*httpstep.Result, string) ([]gjson.Result, error)      = (*httpstep.Result).Rows
	_ func() *httpstep.RetryPolicy                                = httpstep.PushPolicy
	_ func(string) (*httpstep.NodeConfig, error)                  = curl.Parse
	_ func(string) (*httpstep.NodeConfig, []string, error)        = curl.Import
	_ func([]byte) (*httpstep.Schema, error)                      = httpstep.InferSchema
	_ func(httpstep.Values, string) (any, bool)                   = httpstep.Values.Lookup
	_ *httpstep.Client                                            = httpstep.DefaultClient
	_ httpstep.Params                                             = httpstep.Values(nil)
	_ error                                                       = (*httpstep.ConfigError)(nil)
	_ error                                                       = (*httpstep.Failure)(nil)
	_ interface{ Unwrap() error }                                 = (*httpstep.Failure)(nil)
	_ time.Duration                                               = time.Duration(httpstep.Duration(0))
	_ httpstep.Policy                                             = "terminate"
	_ httpstep.BodyKind                                           = "raw"
	_ httpstep.Secret                                             = "s"
	_ interface {
		Load(context.Context, string) (*httpstep.Token, error)
		Save(context.Context, string, *httpstep.Token) error
	} = httpstep.TokenStore(nil)
	_ httpstep.TokenStore = interface {
		Load(context.Context, string) (*httpstep.Token, error)
		Save(context.Context, string, *httpstep.Token) error
	}(nil)
)

// The failure kinds, with the exact strings the history and the CLI print.
var contractKinds = map[httpstep.FailureKind]string{
	httpstep.KindTimeout: "timeout", httpstep.KindNetwork: "network", httpstep.KindTLS: "tls",
	httpstep.KindBlocked: "blocked", httpstep.KindStatus: "status", httpstep.KindErrorCode: "error_code",
	httpstep.KindTooLarge: "too_large", httpstep.KindParam: "param", httpstep.KindCanceled: "canceled",
	httpstep.KindAuth: "auth", httpstep.KindUnavailable: "unavailable",
}

// The fixed structs, built with their fixed fields and types (keyed, so
// added fields are fine; a renamed or retyped one is not).
var (
	_ = httpstep.NodeConfig{
		Method: "", URL: "", Query: []httpstep.KeyValue{{Key: "", Value: ""}},
		Headers: []httpstep.KeyValue{}, Body: &httpstep.Body{}, Object: "",
		Success: httpstep.SuccessRule{}, OnFailure: httpstep.Policy(""), Timeout: httpstep.Duration(0),
		UseProxy: false, InsecureSkipVerify: false, Retry: &httpstep.RetryPolicy{},
		Response: &httpstep.Schema{}, Paginate: &httpstep.Pagination{},
		Auth: &httpstep.Auth{}, Async: &httpstep.Async{}, Download: false,
	}
	_ = httpstep.Body{Kind: httpstep.BodyKind(""), ContentType: "", Raw: "",
		Fields: []httpstep.FormField{{Key: "", Value: "", File: ""}}, File: "", OmitEmpty: false}
	_ = httpstep.SuccessRule{Codes: []int{}, ErrorMessages: map[string]string{}, ErrorMessage: "",
		ErrorCodePath: "", SuccessValues: []string{}, ErrorMessagePath: ""}
	_ = httpstep.File{Name: "", ContentType: "", Size: int64(0),
		Open: func() (io.ReadCloser, error) { return nil, nil }, Path: ""}
	_ = httpstep.Client{Proxy: (*url.URL)(nil), SourceAddrs: []netip.Addr{}, AllowPrivate: false,
		AllowNetworks: []netip.Prefix{}, RootCAs: (*x509.CertPool)(nil), Certificates: []tls.Certificate{},
		MaxResponseBytes: int64(0), Tokens: httpstep.TokenStore(nil), Limits: []httpstep.Limit{},
		Breaker: (*httpstep.Breaker)(nil), DownloadDir: "", MaxDownloadBytes: int64(0)}
	_ = httpstep.Result{StatusCode: 0, Header: http.Header{}, Body: []byte{},
		Failure: (*httpstep.Failure)(nil), Attempts: []httpstep.Attempt{}, File: (*httpstep.File)(nil)}
	_ = httpstep.Failure{Kind: httpstep.FailureKind(""), StatusCode: 0, Code: "", Message: "", Err: error(nil)}
	_ = httpstep.RetryPolicy{MaxAttempts: 0, InitialInterval: httpstep.Duration(0),
		MaxInterval: httpstep.Duration(0), Multiplier: float64(0)}
	_ = httpstep.Pagination{Mode: "", Param: "", Start: 0, Size: 0, ItemsPath: "", NextPath: "", MaxPages: 0}
	_ = httpstep.Schema{Fields: []httpstep.Field{{Name: "", Path: "", Type: "", Format: "", Fields: []httpstep.Field{}}}}
	_ = httpstep.Auth{Type: "", Username: "", Password: "", Token: "", Name: "", In: "", Value: "",
		OAuth2: (*httpstep.OAuth2)(nil), AllowCleartext: false}
	_ = httpstep.OAuth2{Grant: "", TokenURL: "", ClientID: "", ClientSecret: "", RefreshToken: "",
		Scopes: []string{}, Params: []httpstep.KeyValue{}, CredentialsIn: "", RefreshOn: []int{}, ExpiredCodes: []string{}}
	_ = httpstep.Token{AccessToken: "", TokenType: "", RefreshToken: "", Expiry: time.Time{}}
	_ = httpstep.Limit{Host: "", PerSecond: float64(0), Burst: 0, MaxConcurrent: 0}
	_ = httpstep.Breaker{Failures: 0, Cooldown: httpstep.Duration(0)}
	_ = httpstep.Async{Interval: httpstep.Duration(0), MaxWait: httpstep.Duration(0), URLPath: "",
		StatusPath: "", DoneValues: []string{}}
	_ = httpstep.ConfigError{}
	_ = httpstep.Step{}
)

// contractKeys are the JSON keys DESIGN fixes, by object.
var contractKeys = map[string][]string{
	"node": {"method", "url", "query", "headers", "body", "object", "success", "onFailure", "timeout",
		"useProxy", "insecureSkipVerify", "retry", "response", "paginate", "auth", "async", "download"},
	"keyValue":  {"key", "value"},
	"body":      {"kind", "contentType", "raw", "fields", "file", "omitEmpty"},
	"formField": {"key", "value", "file"},
	"success":   {"codes", "errorMessages", "errorMessage", "errorCodePath", "successValues", "errorMessagePath"},
	"retry":     {"maxAttempts", "initialInterval", "maxInterval", "multiplier"},
	"paginate":  {"mode", "param", "start", "size", "itemsPath", "nextPath", "maxPages"},
	"field":     {"name", "path", "type", "format", "fields"},
	"auth":      {"type", "username", "password", "token", "name", "in", "value", "oauth2", "allowCleartext"},
	"oauth2":    {"grant", "tokenUrl", "clientId", "clientSecret", "refreshToken", "scopes", "params", "credentialsIn", "refreshOn", "expiredCodes"},
	"async":     {"interval", "maxWait", "urlPath", "statusPath", "doneValues"},
	"token":     {"accessToken", "tokenType", "refreshToken", "expiry"},
}
