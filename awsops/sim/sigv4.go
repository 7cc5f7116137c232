package sim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// AWS checks every request's Signature Version 4 signature against the
// secret of the key it names, and so does the sim: a wrong secret (a typo,
// the secret of a key rotated away) is refused before anything runs, as
// SignatureDoesNotMatch. The signature is recomputed with the SDK's own
// signer over the parts of the request the client says it signed
// (SignedHeaders), so that the sim and every client agree on what SigV4 is
// without a second reading of the spec. The request's time is not held
// against the sim's clock: the sim's clock is simulated.

// sigTimeFormat is X-Amz-Date's format.
const sigTimeFormat = "20060102T150405Z"

// signed is what a request says about its own signature.
type signed struct {
	headers   []string // SignedHeaders, lower case
	signature string
	presigned bool
	at        time.Time
}

// parseSignature reads the Authorization header or the presigned query.
func parseSignature(r *http.Request) (signed, bool) {
	q := r.URL.Query()
	sg := signed{}
	date := r.Header.Get("X-Amz-Date")
	if h := r.Header.Get("Authorization"); h != "" {
		for _, part := range strings.Split(strings.TrimPrefix(h, "AWS4-HMAC-SHA256 "), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "SignedHeaders":
				sg.headers = strings.Split(v, ";")
			case "Signature":
				sg.signature = v
			}
		}
	} else {
		sg.presigned = true
		sg.headers = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
		sg.signature = q.Get("X-Amz-Signature")
		date = q.Get("X-Amz-Date")
	}
	at, err := time.Parse(sigTimeFormat, date)
	if err != nil || sg.signature == "" || len(sg.headers) == 0 {
		return sg, false
	}
	sg.at = at
	return sg, true
}

// checkSignature refuses a request whose signature is not the one its
// key's secret makes. A key the sim does not know passes: callerOf answers
// it with InvalidClientTokenId, as AWS answers an unknown key before it
// looks at the signature.
func (s *Sim) checkSignature(r *http.Request, body []byte, scope credentialScope) *apiError {
	s.mu.Lock()
	k := s.acct.keys[scope.keyID]
	s.mu.Unlock()
	if k == nil {
		return nil
	}
	sg, ok := parseSignature(r)
	if !ok {
		return errSignature(s.services.serviceOf(scope.service))
	}
	want, err := signatureOf(r, body, sg, scope, k.secret)
	if err != nil || !hmac.Equal([]byte(want), []byte(sg.signature)) {
		return errSignature(s.services.serviceOf(scope.service))
	}
	return nil
}

// signatureOf signs a copy of r holding only what the client signed.
func signatureOf(r *http.Request, body []byte, sg signed, scope credentialScope, secret string) (string, error) {
	q := r.URL.Query()
	if sg.presigned {
		// The signer adds these back from its own arguments.
		for _, k := range []string{"X-Amz-Signature", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Security-Token"} {
			q.Del(k)
		}
	}
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: q.Encode()}
	c := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	creds := aws.Credentials{AccessKeyID: scope.keyID, SecretAccessKey: secret}
	for _, h := range sg.headers {
		switch h {
		case "host", "x-amz-date":
		case "content-length":
			c.ContentLength = r.ContentLength
		case "x-amz-security-token":
			creds.SessionToken = r.Header.Get(h)
		default:
			c.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	if sg.presigned {
		creds.SessionToken = r.URL.Query().Get("X-Amz-Security-Token")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		if sg.presigned && scope.service == "s3" {
			payload = "UNSIGNED-PAYLOAD" // S3 presigned URLs never sign the body
		} else {
			sum := sha256.Sum256(body)
			payload = hex.EncodeToString(sum[:])
		}
	}
	opts := func(o *v4.SignerOptions) {
		// S3 signs the path as sent; every other service escapes it again
		// (SigV4: "each path segment must be URI-encoded twice", except S3).
		o.DisableURIPathEscaping = scope.service == "s3"
	}
	signer := v4.NewSigner()
	if sg.presigned {
		signedURL, _, err := signer.PresignHTTP(context.Background(), creds, c, payload, scope.service, scope.region, sg.at, opts)
		if err != nil {
			return "", err
		}
		pu, err := url.Parse(signedURL)
		if err != nil {
			return "", err
		}
		return pu.Query().Get("X-Amz-Signature"), nil
	}
	if err := signer.SignHTTP(context.Background(), creds, c, payload, scope.service, scope.region, sg.at, opts); err != nil {
		return "", err
	}
	s, _ := parseSignature(c)
	return s.signature, nil
}

// errSignature is each protocol's error for a signature the key's secret
// does not make.
func errSignature(service string) *apiError {
	const msg = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	switch protocolOf(service) {
	case protoEC2:
		return &apiError{code: "AuthFailure", message: "AWS was not able to validate the provided access credentials", status: http.StatusUnauthorized, trailCode: "Client.AuthFailure"}
	case protoJSON:
		return &apiError{code: "InvalidSignatureException", message: msg, status: http.StatusBadRequest}
	case protoREST:
		return &apiError{code: "InvalidSignatureException", message: msg, status: http.StatusForbidden}
	}
	return &apiError{code: "SignatureDoesNotMatch", message: msg, status: http.StatusForbidden}
}

// workloadCaller resolves a workload's key as callerOf does; a workload
// signing with a wrong secret is refused before its key is looked at, and
// CloudTrail does not record the call (SignatureDoesNotMatch).
func (s *Sim) workloadCaller(w *workload, service string) (*accessKey, *principal, *apiError, bool) {
	if w.wrongSecret && s.acct.keys[w.keyID] != nil {
		return nil, nil, errSignature(service), false
	}
	return s.callerOf(w.keyID, service)
}
