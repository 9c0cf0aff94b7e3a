package httpstep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// AWSAuth is AWS Signature Version 4 (auth type "awsSigV4"), for API
// Gateway with IAM, S3 and any other AWS API. Every request to the node's
// origin is signed afresh: each attempt, page, poll and redirect hop, at
// Client.Now; a request to another origin is not signed. The signing is
// github.com/aws/aws-sdk-go-v2's v4 signer's (its unsigned headers, such
// as User-Agent, left unsigned; for service "s3" the path is not escaped
// twice, as its S3 client does); the official SigV4 test suite is the
// referee.
type AWSAuth struct {
	AccessKeyID     string `json:"accessKeyId"`               // template
	SecretAccessKey string `json:"secretAccessKey"`           // template
	SessionToken    string `json:"sessionToken,omitempty"`    // template: temporary credentials (STS), sent as X-Amz-Security-Token and signed
	Region          string `json:"region"`                    // "us-east-1"
	Service         string `json:"service"`                   // "execute-api", "s3", ...
	UnsignedPayload bool   `json:"unsignedPayload,omitempty"` // streamed bodies: X-Amz-Content-Sha256: UNSIGNED-PAYLOAD, the body is not read to hash it
}

// AuthAWSSigV4 signs every request with AWS Signature Version 4
// (Auth.AWS).
const AuthAWSSigV4 = "awsSigV4"

// The payload hash header, and its value for a payload left unsigned.
const (
	amzContentSHA256 = "X-Amz-Content-Sha256"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
)

// emptySHA256 is the hex SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// checkAWS adds the problems of an awsSigV4 block to e.
func (a *Auth) checkAWS(e *ConfigError) {
	w := a.AWS
	if w == nil {
		e.add("auth.aws", "auth awsSigV4 needs the access key, the secret key, the region and the service: fill in the aws block")
		return
	}
	a.need(e, "auth.aws.accessKeyId", w.AccessKeyID, "the access key id")
	a.need(e, "auth.aws.secretAccessKey", w.SecretAccessKey, "the secret access key")
	checkTemplate(e, "auth.aws.sessionToken", w.SessionToken, modeText)
	for _, f := range []struct{ field, v, what string }{{"region", w.Region, "the region, e.g. us-east-1"}, {"service", w.Service, "the service, e.g. execute-api or s3"}} {
		switch {
		case strings.TrimSpace(f.v) == "":
			e.add("auth.aws."+f.field, "auth awsSigV4 needs "+f.what)
		case strings.ContainsAny(f.v, "/ \t\r\n{}"):
			e.add("auth.aws."+f.field, fmt.Sprintf("auth awsSigV4: %q is not a %s name: %s", f.v, f.field, "use letters, digits and - only"))
		}
	}
}

// awsStep is an awsSigV4 block compiled.
type awsStep struct {
	keyID, secret, session *template
}

func compileAWS(w *AWSAuth) (*awsStep, error) {
	s := &awsStep{}
	var err error
	for _, t := range []struct {
		dst **template
		src string
	}{{&s.keyID, w.AccessKeyID}, {&s.secret, w.SecretAccessKey}, {&s.session, w.SessionToken}} {
		if *t.dst, err = compile(t.src, modeText); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// applyAWS renders the credentials once per run; each request is signed
// with them.
func (o *outgoing) applyAWS(r *renderer, a *authStep) error {
	s, w := a.aws, a.auth.AWS
	id, err := renderCredential(r, s.keyID, "auth.aws.accessKeyId")
	if err != nil {
		return err
	}
	secret, err := renderCredential(r, s.secret, "auth.aws.secretAccessKey")
	if err != nil {
		return err
	}
	session, err := renderCredential(r, s.session, "auth.aws.sessionToken")
	if err != nil {
		return err
	}
	r.secrets.add(secret, session)
	r.secrets.addHeaderName("X-Amz-Security-Token")
	o.signer = &awsSigner{
		creds:    aws.Credentials{AccessKeyID: strings.TrimSpace(id), SecretAccessKey: strings.TrimSpace(secret), SessionToken: strings.TrimSpace(session)},
		region:   strings.TrimSpace(w.Region),
		service:  strings.TrimSpace(w.Service),
		unsigned: w.UnsignedPayload,
	}
	o.signOrigin = o.url
	return nil
}

// awsSigner is the attemptSigner of auth type awsSigV4.
type awsSigner struct {
	creds           aws.Credentials
	region, service string
	unsigned        bool
	lastHash        string // the payload hash of the request being sent, for its redirect hops; a run's requests go one at a time
}

// signer is the SDK's signer, silent, shared: it keeps a cache of derived
// signing keys and is safe for concurrent use.
var signer = v4.NewSigner(func(o *v4.SignerOptions) { o.LogSigning = false })

func (s *awsSigner) signAttempt(req *http.Request, o *outgoing) (string, bool, error) {
	hash, err := s.payloadHash(o)
	if err != nil {
		return "", false, err
	}
	s.lastHash = hash
	if err := s.sign(req, hash, o.now()); err != nil {
		return "", false, err
	}
	if o.dry {
		req.Header.Set("Authorization", placeholderAWS)
	}
	return "", false, nil
}

// signHop signs a redirect hop to the node's origin afresh: the hop keeps
// the method and body (other redirects are refused), so the payload hash
// is the request's.
func (s *awsSigner) signHop(req *http.Request, now time.Time) error {
	hash := s.lastHash
	if req.Body == nil || req.Body == http.NoBody {
		hash = emptySHA256
		if s.unsigned {
			hash = unsignedPayload
		}
	}
	return s.sign(req, hash, now)
}

// sign signs req (its header already its own) with the payload hash.
func (s *awsSigner) sign(req *http.Request, hash string, now time.Time) error {
	if s.unsigned || s.service == "s3" {
		req.Header.Set(amzContentSHA256, hash)
	}
	err := signer.SignHTTP(context.Background(), s.creds, req, hash, s.service, s.region, now.UTC(),
		func(opt *v4.SignerOptions) { opt.DisableURIPathEscaping = s.service == "s3" })
	if err != nil {
		return errorf("auth awsSigV4: the request cannot be signed: %v", err)
	}
	return nil
}

// payloadHash is the hex SHA-256 of the body this request sends: the
// rendered bytes, or the attachments read once more through a body opened
// afresh for this attempt (a file may have changed since the last one);
// UNSIGNED-PAYLOAD when the node says so.
func (s *awsSigner) payloadHash(o *outgoing) (string, error) {
	switch {
	case s.unsigned:
		return unsignedPayload, nil
	case o.body == nil:
		return emptySHA256, nil
	case o.body.parts == nil:
		sum := sha256.Sum256([]byte(o.body.data))
		return hex.EncodeToString(sum[:]), nil
	case o.dry:
		return placeholderHash, nil // a dry run opens no attachment
	}
	rc, _, err := o.body.open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", errorf("auth awsSigV4: the body could not be read to hash it (set unsignedPayload to stream it unhashed): %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
