package sim

import (
	"net/http"
	"strings"
)

// Wire protocols, by their Smithy names. AWS picks the protocol of a
// request from the request itself, and so does the sim (wireOf): a
// Smithy-Protocol header is RPC v2 CBOR, an X-Amz-Target header is AWS
// JSON (1.0 or 1.1 by its Content-Type), anything else is the service's
// query or REST protocol. The error codes a service uses do not change
// with the wire (protocolOf): CloudWatch's JSON and CBOR are
// awsQueryCompatible and carry its query codes.
const (
	wireQuery  = "awsQuery"
	wireEC2    = "ec2Query"
	wireJSON10 = "awsJson1_0"
	wireJSON11 = "awsJson1_1"
	wireREST   = "restJson1"
	wireS3     = "restXml"
	wireCBOR   = "rpcv2Cbor"
)

// wireOf is the protocol a request speaks, to a service speaking wires (as
// its AWS service model lists them, botocore's metadata.protocols; none
// for a service the sim does not serve).
func wireOf(r *http.Request, service string, wires []string) string {
	switch {
	case r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor":
		return wireCBOR
	case r.Header.Get("X-Amz-Target") != "":
		if strings.Contains(r.Header.Get("Content-Type"), "json-1.0") {
			return wireJSON10
		}
		return wireJSON11
	}
	for _, w := range wires {
		switch w {
		case wireQuery, wireEC2, wireREST, wireS3:
			return w
		}
	}
	if len(wires) > 0 {
		return wires[0] // a JSON service called without its target header
	}
	switch protocolOf(service) { // a service the sim does not serve
	case protoQuery:
		return wireQuery
	case protoEC2:
		return wireEC2
	case protoS3:
		return wireS3
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.URL.Query().Has("Action") {
		return wireQuery
	}
	return wireREST
}

// isJSONWire is true for the AWS JSON protocols.
func isJSONWire(wire string) bool { return wire == wireJSON10 || wire == wireJSON11 }

// guessService names the service of an unsigned request from its shape, so
// the missing-signature error comes in the right protocol.
func (c catalog) guessService(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		prefix, _, _ := strings.Cut(t, ".")
		if strings.HasPrefix(t, "com.amazonaws.cloudtrail") {
			prefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
		}
		if svc, ok := c.byTarget(prefix); ok {
			return svc
		}
		return "unknown"
	}
	if shape, _, ok := rpcPath(r.URL.Path); ok {
		if svc, known := c.byRPCShape(shape); known {
			return svc
		}
	}
	return "iam"
}
