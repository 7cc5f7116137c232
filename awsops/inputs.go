package awsops

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"time"
)

// partitionRegions are the region patterns of the SDK's partitions
// (aws-sdk-go-v2 internal/endpoints/awsrulesfn/partitions.json, which the
// SDK resolves endpoints by; internal, so copied here): aws, aws-cn,
// aws-us-gov, the ISO partitions and the European sovereign cloud.
var partitionRegions = []*regexp.Regexp{
	regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`),
	regexp.MustCompile(`^cn\-\w+\-\d+$`),
	regexp.MustCompile(`^us\-gov\-\w+\-\d+$`),
	regexp.MustCompile(`^us\-iso\-\w+\-\d+$`),
	regexp.MustCompile(`^us\-isob\-\w+\-\d+$`),
	regexp.MustCompile(`^us\-isof\-\w+\-\d+$`),
	regexp.MustCompile(`^eu\-isoe\-\w+\-\d+$`),
	regexp.MustCompile(`^eusc\-(de)\-\w+\-\d+$`),
}

// ValidRegion checks a region name against the SDK's partitions, so that
// "mars-1" is refused before a call instead of after six retries each.
func ValidRegion(region string) error {
	for _, re := range partitionRegions {
		if re.MatchString(region) {
			return nil
		}
	}
	return fmt.Errorf("%q is not a region of any AWS partition (like us-east-1, eu-west-1, us-gov-west-1, cn-north-1)", region)
}

// endpointProbe bounds the one connection CheckEndpoint makes.
const endpointProbe = 3 * time.Second

// CheckEndpoint parses an --endpoint-url and opens one TCP connection to
// it, so that a typo, a closed port or an unknown host is one clear line
// at once, not an identification and a sweep that retry every call.
func CheckEndpoint(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL with a host (e.g. http://127.0.0.1:4566)", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	ctx, cancel := context.WithTimeout(ctx, endpointProbe)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return fmt.Errorf("%s cannot be reached: %v", raw, err)
	}
	return conn.Close()
}
