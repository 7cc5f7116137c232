package sim

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// IAM OIDC identity providers, which an "oidc-role" replacement trusts: CI
// such as GitHub Actions signs in through one instead of holding a key
// (issue 11). keyrunbook reads the provider it needs and creates it when
// it is missing.

// oidcProvider is one IAM OIDC identity provider.
type oidcProvider struct {
	host        string // the issuer URL without https://, as IAM keeps it
	clients     []string
	thumbprints []string
	created     time.Time
}

// oidcHost is an issuer URL as IAM names the provider: without its scheme
// and trailing slash.
func oidcHost(u string) string {
	return strings.TrimSuffix(strings.TrimPrefix(u, "https://"), "/")
}

func (s *Sim) oidcARN(host string) string {
	return "arn:aws:iam::" + s.acct.id + ":oidc-provider/" + host
}

func opCreateOpenIDConnectProvider(s *Sim, c *call) (any, *apiError) {
	raw := c.params.Get("Url")
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errInvalidInput("The URL " + raw + " is not a valid OIDC issuer: it must begin with https:// and have no query or fragment.")
	}
	host := oidcHost(raw)
	arn := s.oidcARN(host)
	if s.acct.oidc[arn] != nil {
		return nil, &apiError{code: "EntityAlreadyExists", message: "Provider with url " + raw + " already exists.", status: http.StatusConflict}
	}
	if s.acct.oidc == nil {
		s.acct.oidc = map[string]*oidcProvider{}
	}
	p := &oidcProvider{host: host, clients: listParam(c.params, "ClientIDList.member"),
		thumbprints: listParam(c.params, "ThumbprintList.member"), created: c.at}
	s.acct.oidc[arn] = p
	c.resources = []eventResource{{Type: "AWS::IAM::OIDCProvider", Name: arn}}
	c.respElems = map[string]any{"openIDConnectProviderArn": arn}
	return &struct {
		ARN string `xml:"OpenIDConnectProviderArn"`
	}{arn}, nil
}

func opGetOpenIDConnectProvider(s *Sim, c *call) (any, *apiError) {
	arn := c.params.Get("OpenIDConnectProviderArn")
	p := s.acct.oidc[arn]
	if p == nil {
		return nil, errNoSuchEntity("OpenIDConnect Provider not found for arn " + arn)
	}
	return &struct {
		URL         string   `xml:"Url"`
		Clients     []string `xml:"ClientIDList>member"`
		Thumbprints []string `xml:"ThumbprintList>member"`
		CreateDate  string   `xml:"CreateDate"`
	}{p.host, p.clients, p.thumbprints, p.created.Format(iamTime)}, nil
}

func opListOpenIDConnectProviders(s *Sim, _ *call) (any, *apiError) {
	type entry struct {
		ARN string `xml:"Arn"`
	}
	out := &struct {
		List []entry `xml:"OpenIDConnectProviderList>member"`
	}{}
	for _, arn := range sortedKeys(s.acct.oidc) {
		out.List = append(out.List, entry{arn})
	}
	return out, nil
}

// digestOIDC feeds the providers to StateDigest.
func (a *account) digestOIDC(line func(parts ...any)) {
	for _, arn := range sortedKeys(a.oidc) {
		p := a.oidc[arn]
		line("oidc-provider", arn, strings.Join(p.clients, ","), strings.Join(p.thumbprints, ","))
	}
}
