package httpstep

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"slices"
	"syscall"
	"time"

	"github.com/httpstep/httpstep/internal/download"
	"github.com/httpstep/httpstep/internal/jsoncheck"
	"github.com/httpstep/httpstep/internal/throttle"
	"golang.org/x/oauth2"
)

// classify turns a transport error into a Failure with a message a person
// reading the execution history can act on. ctx is the attempt's context
// (or the run's, between attempts): its cause tells the attempt's own
// timeout from the run's deadline and from a cancellation.
func classify(ctx context.Context, err error, timeout time.Duration) *Failure {
	f := &Failure{Err: err}
	var blocked *BlockedError
	var changed *redirectChangeError
	var held *throttle.Error
	switch {
	case errors.As(err, &blocked):
		f.Kind, f.Message = KindBlocked, blocked.message()
	case errors.As(err, &changed):
		f.Kind, f.StatusCode, f.Message = KindStatus, changed.status, changed.message()
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), errAttemptTimeout), ctx.Err() == nil && isTimeout(err):
		f.Kind, f.Message = KindTimeout, fmt.Sprintf("the API did not answer within %s", timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		f.Kind, f.Message = KindCanceled, "the run was canceled before the API answered"
	case errors.As(err, &held):
		f.Kind, f.Message = KindTimeout, held.Message()
		if held.Unavailable() {
			f.Kind = KindUnavailable
		}
	case ctx.Err() != nil:
		f.Kind, f.Message = KindTimeout, "the run's deadline passed before the API answered"
	case isTLS(err):
		f.Kind, f.Message = KindTLS, tlsMessage(err)
	default:
		f.Kind, f.Message = KindNetwork, networkMessage(err)
	}
	return f
}

// evaluate applies the success rule to a response: the status must be in
// Codes (default any 2xx); then, where ErrorCodePath is set, the value there
// must be one of SuccessValues (with none listed, any value fails). A JSON
// body without a value there (absent or null) fails unless MissingCode is
// "success"; a body that is not JSON (an HTML maintenance page, say) fails
// with kind error_code and an empty Code, as does an empty one unless
// MissingCode is "success". Every failure carries the answer's code for
// retry.stopOnCodes, a failing status's too.
func evaluate(rule *SuccessRule, status int, body []byte) *Failure {
	code, has := rule.answer(body)
	if !rule.statusOK(status) {
		return &Failure{Kind: KindStatus, StatusCode: status, Message: rule.message(status, body, "", 0), answered: code}
	}
	if rule.ErrorCodePath == "" {
		return nil
	}
	missingOK := rule.MissingCode == MissingCodeSuccess
	switch {
	case has && len(rule.SuccessValues) > 0 && slices.Contains(rule.SuccessValues, code.value):
		return nil
	case has:
		return &Failure{Kind: KindErrorCode, StatusCode: status, Code: code.value, Message: rule.message(status, body, code.value, badCode), answered: code}
	case missingOK && len(bytes.TrimSpace(body)) == 0:
		return nil
	case jsoncheck.Check(body, maxNesting) == jsoncheck.TooDeep:
		return &Failure{Kind: KindErrorCode, StatusCode: status, Message: rule.message(status, body, "", tooDeep)}
	case jsoncheck.Check(body, maxNesting) != jsoncheck.Valid:
		return &Failure{Kind: KindErrorCode, StatusCode: status, Message: rule.message(status, body, "", notJSON)}
	case missingOK:
		return nil
	}
	return &Failure{Kind: KindErrorCode, StatusCode: status, Message: rule.message(status, body, "", noCode)}
}

// sendFailure classifies an error of sending the request: an attachment
// that broke a rule while it streamed is kind param (never retried),
// anything else as classify says.
func sendFailure(ctx context.Context, err error, timeout time.Duration) *Failure {
	var ae *attachmentError
	if errors.As(err, &ae) {
		return paramFailure(ae)
	}
	return classify(ctx, err, timeout)
}

// bodyFailure classifies an error while reading a response body.
func bodyFailure(ctx context.Context, err error, timeout time.Duration, status int) *Failure {
	if errors.Is(err, errTooLarge) {
		return tooLargeFailure(err, status)
	}
	f := classify(ctx, err, timeout)
	f.StatusCode = status
	if f.Kind == KindNetwork {
		f.Message = "the connection broke before the whole response arrived (" + rootCause(err) + ")"
	}
	return f
}

// stoppedWaiting is the failure of a run whose context ended during the
// wait before a retry; it rewrites rec so the history promises no attempt
// that never came.
func stoppedWaiting(ctx context.Context, rec *RetryRecord, err error, timeout time.Duration) *Failure {
	rec.Reason += fmt.Sprintf("; stopped during the %v wait: %v", rec.Wait, err)
	rec.Retry, rec.Wait = false, 0
	f := classify(ctx, err, timeout)
	switch f.Kind {
	case KindCanceled:
		f.Message = "the run was canceled while waiting to retry"
	case KindTimeout:
		f.Message = "the run's deadline passed while waiting to retry"
	}
	return f
}

// stoppedFailure is the failure of a run whose context ended after an
// attempt failed, before it could be retried: kind canceled (or timeout for
// a deadline), keeping the status the last attempt got.
func stoppedFailure(ctx context.Context, last *Failure, timeout time.Duration) *Failure {
	f := classify(ctx, ctx.Err(), timeout)
	f.StatusCode, f.Code = last.StatusCode, last.Code
	switch f.Kind {
	case KindCanceled:
		f.Message = "the run was canceled before it could retry (" + last.Message + ")"
	case KindTimeout:
		f.Message = "the run's deadline passed before it could retry (" + last.Message + ")"
	}
	return f
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// isTLS reports whether err is a TLS problem: a certificate that failed
// verification, an alert, or a server that does not speak TLS at all (Go's
// http.ErrSchemeMismatch for one answering in plain HTTP). No retry mends
// any of them.
func isTLS(err error) bool {
	if errors.Is(err, http.ErrSchemeMismatch) {
		return true
	}
	var (
		unknown   x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		certAlert *tls.AlertError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) || errors.As(err, &certAlert)
}

// tlsMessage explains a TLS failure: a server that does not speak TLS on
// the https port, or a certificate (or handshake) that failed.
func tlsMessage(err error) string {
	var record tls.RecordHeaderError
	switch {
	case errors.Is(err, http.ErrSchemeMismatch):
		return "the API answered in plain HTTP to an https:// URL; use http:// in the URL, or the port where the API speaks HTTPS"
	case errors.As(err, &record):
		return "the server at this address does not speak TLS (" + rootCause(err) + "); check the URL's scheme and port"
	}
	return "the API's certificate could not be verified (" + rootCause(err) + "); if the API uses a private certificate authority ask an administrator to add it, or turn off SSL certificate verification for this node"
}

// networkMessage explains a connection-level error.
func networkMessage(err error) string {
	var dns *net.DNSError
	var redirects *redirectError
	switch {
	case errors.As(err, &redirects):
		return redirects.message()
	case errors.As(err, &dns):
		return fmt.Sprintf("the host name %s could not be found; check the URL", dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the API refused the connection; check the URL and port, and that the service is running"
	case errors.Is(err, syscall.ECONNRESET):
		return "the API reset the connection"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the API closed the connection without a complete answer"
	}
	var own messenger
	if errors.As(err, &own) {
		return own.message() // our own words already
	}
	return "the request could not be completed: " + rootCause(err)
}

// rootCause is the innermost error's text.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// paramFailure is a failure to place a parameter in the request.
func paramFailure(err error) *Failure {
	return &Failure{Kind: KindParam, Message: messageOf(err), Err: err}
}

// tooLargeFailure is the failure of a response (or the items of a pull) over
// the size limit.
func tooLargeFailure(err error, status int) *Failure {
	return &Failure{Kind: KindTooLarge, StatusCode: status, Message: messageOf(err), Err: err}
}

// noStatusURLFailure is the failure of an async node whose 202 names no
// status URL that can be polled.
func noStatusURLFailure(err error, status int) *Failure {
	return &Failure{Kind: KindStatus, StatusCode: status, Message: messageOf(err), Err: err}
}

// maxWaitFailure is the failure of a job still running when async.maxWait
// passed: kind timeout, naming the last status seen.
func maxWaitFailure(maxWait time.Duration, last string, status int) *Failure {
	return &Failure{Kind: KindTimeout, StatusCode: status,
		Message: fmt.Sprintf("the job did not finish within maxWait %v (last status: %s); raise async.maxWait if it usually takes longer", maxWait, last)}
}

// stoppedPolling is the failure of a run whose context ended while it
// waited for the next poll of a job.
func stoppedPolling(ctx context.Context, last string, err error, timeout time.Duration) *Failure {
	f := classify(ctx, err, timeout)
	switch f.Kind {
	case KindCanceled:
		f.Message = fmt.Sprintf("the run was canceled while waiting for the job (last status: %s)", last)
	case KindTimeout:
		f.Message = fmt.Sprintf("the run's deadline passed while waiting for the job (last status: %s)", last)
	}
	return f
}

// jobFailed is the failure of a job whose status is one of
// async.failedValues: kind error_code with the status as the code, and the
// message at success.errorMessagePath when there is one.
func jobFailed(node *NodeConfig, status int, body []byte, value string) *Failure {
	msg := fmt.Sprintf("the job ended with status %q (%s is one of async.failedValues)", value, node.Async.StatusPath)
	if p := node.Success.ErrorMessagePath; p != "" {
		if v := pathGet(body, p); v.Exists() && v.String() != "" {
			msg = v.String()
		}
	}
	return &Failure{Kind: KindErrorCode, StatusCode: status, Code: value, Message: msg}
}

// downloadFailure classifies a failed download: past the cap (too_large),
// the file system (storage), or the connection, as any body read.
func downloadFailure(ctx context.Context, err error, timeout time.Duration, status int) *Failure {
	var tooLarge *download.TooLargeError
	var dirErr *download.DirError
	var pathErr *fs.PathError
	switch {
	case errors.As(err, &tooLarge):
		return &Failure{Kind: KindTooLarge, StatusCode: status, Message: tooLarge.Message(), Err: err}
	case errors.As(err, &dirErr):
		return &Failure{Kind: KindStorage, StatusCode: status, Message: dirErr.Message(), Err: err}
	case errors.As(err, &pathErr):
		return &Failure{Kind: KindStorage, StatusCode: status, Err: err,
			Message: "cannot write the downloaded file (" + pathErr.Err.Error() + "); check the free space in Client.DownloadDir"}
	}
	return bodyFailure(ctx, err, timeout, status)
}

// tokenFailure classifies a failure to get a token. The endpoint's refusal
// is kind auth with its error and error_description; a guarded token URL is
// blocked; a cancellation is canceled; a timeout, an unreachable endpoint or
// a 5xx or 429 answer is kind auth too, and retryable under the node's
// policy. invalid_client and invalid_grant (like every other refusal) are
// not retried. The endpoint's raw answer is not kept: it may hold tokens.
func tokenFailure(ctx context.Context, o *outgoing, err error) *Failure {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return &Failure{Kind: KindAuth, Message: tokenRefusal(re, status, o.grant()), transient: status >= 500 || status == http.StatusTooManyRequests}
	}
	o.secrets.scrubURLError(err)
	f := classify(ctx, err, o.step.timeout)
	var ue *url.Error
	switch f.Kind {
	case KindBlocked:
		f.Message = "the token endpoint: " + f.Message
	case KindTimeout:
		f.Kind, f.transient = KindAuth, true
		f.Message = fmt.Sprintf("the token endpoint did not answer within %s", o.step.timeout)
	case KindTLS, KindNetwork:
		f.transient = f.Kind == KindNetwork && errors.As(err, &ue)
		f.Kind, f.Message = KindAuth, "the token endpoint could not be reached or answered oddly: "+f.Message
	}
	return f
}

// tokenRefusal is the message for a token endpoint's refusal.
func tokenRefusal(re *oauth2.RetrieveError, status int, grant string) string {
	msg := fmt.Sprintf("the token endpoint refused the request (HTTP %d)", status)
	if re.ErrorCode != "" {
		msg += ": " + re.ErrorCode
	}
	if re.ErrorDescription != "" {
		msg += ": " + re.ErrorDescription
	}
	switch re.ErrorCode {
	case "invalid_client":
		msg += "; check the client id and secret"
	case "invalid_grant":
		if grant == grantAuthorizationCode {
			return msg + "; the code was not accepted: a code is used once and expires within minutes, so start the consent again"
		}
		if grant == GrantJWTBearer {
			return msg + "; the service account's signed assertion was not accepted: check the private key and its key id, " +
				"the issuer (the account's client_email), the subject and the scopes, and that this computer's clock is right"
		}
		msg += "; the refresh token, or the username and password, are no longer accepted"
	case "invalid_scope":
		msg += "; check the scopes"
	}
	return msg
}

// grant is the OAuth2 grant of o's credential; "" for other types.
func (o *outgoing) grant() string {
	if o.cred == nil || o.cred.oauth == nil {
		return ""
	}
	return o.cred.oauth.Grant
}
