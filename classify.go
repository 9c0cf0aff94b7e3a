package httpstep

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// classify turns a transport error into a Failure with a message a person
// reading the execution history can act on. ctx is the attempt's context
// (or the run's, between attempts): its cause tells the attempt's own
// timeout from the run's deadline and from a cancellation.
func classify(ctx context.Context, err error, timeout time.Duration) *Failure {
	f := &Failure{Err: err}
	var blocked *BlockedError
	switch {
	case errors.As(err, &blocked):
		f.Kind, f.Message = KindBlocked, blocked.message()
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), errAttemptTimeout), ctx.Err() == nil && isTimeout(err):
		f.Kind, f.Message = KindTimeout, fmt.Sprintf("the API did not answer within %s", timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		f.Kind, f.Message = KindCanceled, "the run was canceled before the API answered"
	case ctx.Err() != nil:
		f.Kind, f.Message = KindTimeout, "the run's deadline passed before the API answered"
	case isTLS(err):
		f.Kind, f.Message = KindTLS, "the API's certificate could not be verified ("+rootCause(err)+"); if the API uses a private certificate authority ask an administrator to add it, or turn off SSL certificate verification for this node"
	default:
		f.Kind, f.Message = KindNetwork, networkMessage(err)
	}
	return f
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

func isTLS(err error) bool {
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
