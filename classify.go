package httpstep

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// classify turns a transport error into a Failure with a message a person
// reading the execution history can act on. ctx is the caller's context,
// actx the attempt's (nil between attempts).
func classify(ctx, actx context.Context, err error, timeout time.Duration) *Failure {
	f := &Failure{Err: err}
	var blocked *BlockedError
	var changed *redirectChangeError
	switch {
	case errors.As(err, &blocked):
		f.Kind, f.Message = KindBlocked, strings.TrimPrefix(blocked.Error(), "httpstep: blocked: ")
	case errors.As(err, &changed):
		f.Kind, f.StatusCode, f.Message = KindStatus, changed.status, strings.TrimPrefix(changed.Error(), "httpstep: ")
	case errors.Is(ctx.Err(), context.Canceled):
		f.Kind, f.Message = KindCanceled, "the run was canceled before the API answered"
	case ctx.Err() != nil:
		f.Kind, f.Message = KindTimeout, "the run's deadline passed before the API answered"
	case actx != nil && actx.Err() != nil, isTimeout(err):
		f.Kind, f.Message = KindTimeout, fmt.Sprintf("the API did not answer within %s", timeout)
	case isTLS(err):
		f.Kind, f.Message = KindTLS, "the API's certificate could not be verified ("+rootCause(err)+"); if the API uses a private certificate authority ask an administrator to add it, or turn off SSL certificate verification for this node"
	default:
		f.Kind, f.Message = KindNetwork, networkMessage(err)
	}
	return f
}

// classifyBody classifies an error while reading a response body.
func classifyBody(ctx, actx context.Context, err error, timeout time.Duration, status int) *Failure {
	var tooLarge *tooLargeError
	if errors.As(err, &tooLarge) {
		return &Failure{Kind: KindTooLarge, StatusCode: status, Message: tooLarge.Error()[len("httpstep: "):], Err: err}
	}
	f := classify(ctx, actx, err, timeout)
	f.StatusCode = status
	if f.Kind == KindNetwork {
		f.Message = "the connection broke before the whole response arrived (" + rootCause(err) + ")"
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
		return redirects.Error()[len("httpstep: "):]
	case errors.As(err, &dns):
		return fmt.Sprintf("the host name %s could not be found; check the URL", dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the API refused the connection; check the URL and port, and that the service is running"
	case errors.Is(err, syscall.ECONNRESET):
		return "the API reset the connection"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the API closed the connection without a complete answer"
	}
	if msg := rootCause(err); strings.HasPrefix(msg, "httpstep: ") {
		return strings.TrimPrefix(msg, "httpstep: ") // our own words already
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
