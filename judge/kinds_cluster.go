package judge

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Callers are grouped by source IP and user agent (aggregate.go). Issue 11
// asks for more: which callers are one source (several tools on one host,
// the runs of one CI), which VPC endpoint they came through, and when they
// work. This file adds those to the callers Result returns, and the
// evidence the replacement kinds rest on: a CI marker, an EKS node, an
// on-premises address.

// ciMarkers are user-agent tokens a CI system's own AWS calls carry. The
// official GitHub Action that configures credentials signs its
// sts:GetCallerIdentity with this agent (aws-actions/configure-aws-credentials,
// USER_AGENT). Other CIs leave no marker we know of: their callers stay
// off-AWS callers, for which an OIDC role is one switch (s) away.
var ciMarkers = []struct{ marker, name string }{
	{"configure-aws-credentials-for-github-actions", "github-actions"},
}

// ciOf names the CI a user agent marks, or "".
func ciOf(ua string) string {
	for _, m := range ciMarkers {
		if strings.Contains(ua, m.marker) {
			return m.name
		}
	}
	return ""
}

// EKS tags an instance of a cluster's node group with the cluster's name:
// eks:cluster-name on managed node groups, kubernetes.io/cluster/NAME
// (value "owned" or "shared") on nodes eksctl or Karpenter launch.
const (
	eksClusterNameTag   = "eks:cluster-name"
	eksClusterTagPrefix = "kubernetes.io/cluster/"
)

// EKSClusterTag returns the cluster a node's tag names, or "".
func EKSClusterTag(key, value string) string {
	switch {
	case key == eksClusterNameTag:
		return value
	case strings.HasPrefix(key, eksClusterTagPrefix) && (value == "owned" || value == "shared"):
		return strings.TrimPrefix(key, eksClusterTagPrefix)
	}
	return ""
}

// eksClass turns the class of a caller on an EKS node into a pod's: no
// AWS SDK reports EKS in its user agent (exec-env is set by Lambda, ECS
// and CloudShell only), so the node is the evidence, and a key on a node
// is a pod's far more often than the node's own.
func eksClass(c callerClass, in *Instance, ip string) callerClass {
	c.kind, c.resource = runbook.CallerEKS, in.EKSCluster
	c.why = fmt.Sprintf("Calls come from %s, node %s of EKS cluster %s in %s: a pod on it holds the key. Which pod, CloudTrail cannot tell: its namespace and service account are for you to set.",
		ip, in.ID, in.EKSCluster, in.Region)
	return c
}

// timeUse is when a caller worked: the hours of the day (UTC) and the
// distinct days it called on, bounded.
type timeUse struct {
	hours [24]uint32
	days  map[int32]bool
}

// daysKept bounds the distinct days remembered per caller: enough to tell
// "every day" from "once", whatever the window.
const daysKept = 120

func (u *timeUse) note(t time.Time) {
	t = t.UTC()
	u.hours[t.Hour()]++
	if u.days == nil {
		u.days = map[int32]bool{}
	}
	if d := int32(t.Unix() / 86400); len(u.days) < daysKept || u.days[d] {
		u.days[d] = true
	}
}

// pattern says in words when a caller works: what a scheduled job, a
// person at work and a burst of an attacker's tooling look like apart.
func (u *timeUse) pattern(first, last time.Time, events int) string {
	if events == 0 {
		return ""
	}
	span := last.Sub(first)
	var active []int
	for h, n := range u.hours {
		if n > 0 {
			active = append(active, h)
		}
	}
	days := len(u.days)
	switch {
	case span < time.Hour:
		return fmt.Sprintf("one burst: %d call(s) within %s", events, span.Round(time.Second))
	case len(active) >= 20:
		return fmt.Sprintf("around the clock on %d day(s)", days)
	case days >= 3 && len(active) <= 2:
		return fmt.Sprintf("scheduled: on %d days, always at %s UTC", days, hourRange(active))
	}
	return fmt.Sprintf("on %d day(s), at %s UTC", days, hourRange(active))
}

// runHours are the hours a caller that works on a schedule calls in: seen
// on three days or more, never around the clock. A move check waits for
// the next of them (runbook.UsageCaller.NextRun).
func (u *timeUse) runHours() []int {
	var active []int
	for h, n := range u.hours {
		if n > 0 {
			active = append(active, h)
		}
	}
	if len(u.days) < 3 || len(active) >= 20 {
		return nil
	}
	return active
}

// hourRange writes active hours as "02:00-03:59", or a list when apart.
func hourRange(hours []int) string {
	if len(hours) == 0 {
		return "-"
	}
	if hours[len(hours)-1]-hours[0] == len(hours)-1 {
		return fmt.Sprintf("%02d:00-%02d:59", hours[0], hours[len(hours)-1])
	}
	parts := make([]string, len(hours))
	for i, h := range hours {
		parts[i] = fmt.Sprintf("%02d", h)
	}
	return strings.Join(parts, ",") + "h"
}

// privateAddress reports whether ip is a private (RFC 1918, RFC 4193) or
// shared (RFC 6598) address: one AWS sees only over VPN, Direct Connect or
// a VPC endpoint, never from the internet.
func privateAddress(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	return a.IsPrivate() || netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// OnPremises reports whether a caller off AWS reached the account from a
// private network: a private source address that is no instance of the
// account, or calls through a VPC endpoint. Such a host is a server on the
// company's network, which IAM Roles Anywhere serves without a key.
func OnPremises(c runbook.UsageCaller) bool {
	return c.Kind == runbook.CallerOffAWS && (privateAddress(c.SourceIP) || c.VPCEndpoint != "")
}

// clusterCallers completes the callers Result returns: VPC endpoint and
// time pattern of each; Cluster for callers that are one source; the CI
// kind for callers on the host of a CI-marked caller (the action's own
// call marks the runner, whose later CLI and SDK calls carry no marker);
// and the on-premises evidence in Why.
func clusterCallers(views []*callerView) {
	byIP := map[string][]*callerView{}
	for _, v := range views {
		c := &v.caller
		c.VPCEndpoint = v.state.vpce
		c.Pattern = v.state.when.pattern(v.state.first, v.state.last, v.state.events)
		c.RunHours = v.state.when.runHours()
		if v.key == overflowCaller || c.Kind == runbook.CallerAWSService {
			continue
		}
		byIP[c.SourceIP] = append(byIP[c.SourceIP], v)
	}
	for ip, group := range byIP {
		ci := ""
		for _, v := range group {
			if v.caller.Kind == runbook.CallerCI {
				ci = v.caller.Resource
			}
		}
		for _, v := range group {
			c := &v.caller
			switch {
			case ci != "":
				c.Cluster = "ci " + ci
				if c.Kind == runbook.CallerOffAWS {
					c.Kind, c.Resource = runbook.CallerCI, ci
					c.Why += fmt.Sprintf(" Another tool on %s carries the %s marker: this is a CI runner, and %s a CI job.", ip, ci, orValue(c.Tool, "-"))
				}
			case len(group) > 1:
				c.Cluster = "host " + ip
			}
			if OnPremises(*c) {
				via := "from a private address that is no instance of this account"
				if c.VPCEndpoint != "" {
					via = "through VPC endpoint " + c.VPCEndpoint + " from an address that is no instance of this account"
				}
				c.Why += " It calls " + via + ": an on-premises host reaching AWS over VPN or Direct Connect."
			}
		}
	}
}

// ciClass is the class of a caller whose user agent carries a CI marker.
func ciClass(ip, ua, tool string) (callerClass, bool) {
	ci := ciOf(ua)
	if ci == "" {
		return callerClass{}, false
	}
	return callerClass{kind: runbook.CallerCI, label: runbook.LabelLegitimate, tool: orValue(tool, ci), resource: ci,
		why: fmt.Sprintf("The user agent carries the %s marker, from %s: a CI job holds the key.", ci, ip)}, true
}

// orValue returns s, or def when s is empty.
func orValue(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
