package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ec2Namespace is the XML namespace of EC2's replies.
const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// ec2API is EC2 (EC2 query protocol, 2016-11-15).
func ec2API() *service {
	return &service{name: "ec2", wires: []string{wireEC2}, xmlns: ec2Namespace, ops: map[string]op{
		"DescribeRegions":             {fn: opDescribeRegions, readOnly: true},
		"DescribeInstances":           {fn: opDescribeInstances, readOnly: true},
		"DescribeAddresses":           {fn: opDescribeAddresses, readOnly: true},
		"AssociateIamInstanceProfile": {fn: opAssociateIamInstanceProfile},
		"RunInstances":                {fn: opRunInstances}, // ec2_run.go
		"TerminateInstances":          {fn: opTerminateInstances},
		// Containment's profile swap (ec2_associations.go).
		"DescribeIamInstanceProfileAssociations": {fn: opDescribeIamInstanceProfileAssociations, readOnly: true},
		"ReplaceIamInstanceProfileAssociation":   {fn: opReplaceIamInstanceProfileAssociation},
	}}
}

func ec2Err(code, msg string) *apiError {
	return &apiError{code: code, message: msg, status: http.StatusBadRequest, trailCode: "Client." + code}
}

// listParam reads an EC2 query list ("InstanceId.1", "InstanceId.2", ...).
func listParam(v url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		val, ok := v[name+"."+strconv.Itoa(i)]
		if !ok || len(val) == 0 {
			return out
		}
		out = append(out, val[0])
	}
}

// filters reads "Filter.N.Name" / "Filter.N.Value.M" into name → values.
func filters(v url.Values) map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		name := v.Get("Filter." + strconv.Itoa(i) + ".Name")
		if name == "" {
			return out
		}
		out[name] = append(out[name], listParam(v, "Filter."+strconv.Itoa(i)+".Value")...)
	}
}

// pass applies a filter: absent passes, present needs one value to match
// (EC2 filter values allow * and ? wildcards).
func pass(f map[string][]string, name, value string) bool {
	vals, ok := f[name]
	if !ok {
		return true
	}
	for _, v := range vals {
		if wildcardMatch(v, value) {
			return true
		}
	}
	return false
}

func opDescribeRegions(s *Sim, c *call) (any, *apiError) {
	type region struct {
		Name     string `xml:"regionName"`
		Endpoint string `xml:"regionEndpoint"`
		OptIn    string `xml:"optInStatus"`
	}
	out := &struct {
		ec2Result
		Regions []region `xml:"regionInfo>item"`
	}{}
	all := c.params.Get("AllRegions") == "true"
	names := listParam(c.params, "RegionName")
	f := filters(c.params)
	for _, r := range sortedKeys(awsRegions) {
		status := "opt-in-not-required"
		switch {
		case awsRegions[r] && s.regionEnabled(r):
			status = "opted-in"
		case awsRegions[r]:
			status = "not-opted-in"
		}
		if !all && status == "not-opted-in" || len(names) > 0 && !slices.Contains(names, r) {
			continue
		}
		if !pass(f, "region-name", r) || !pass(f, "opt-in-status", status) {
			continue
		}
		out.Regions = append(out.Regions, region{r, "ec2." + r + ".amazonaws.com", status})
	}
	return out, nil
}

var stateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

type xmlState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xmlProfileRef struct {
	Arn string `xml:"arn"`
	ID  string `xml:"id"`
}

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlInstance struct {
	InstanceID   string         `xml:"instanceId"`
	ImageID      string         `xml:"imageId"`
	State        xmlState       `xml:"instanceState"`
	PrivateDNS   string         `xml:"privateDnsName"`
	InstanceType string         `xml:"instanceType"`
	LaunchTime   string         `xml:"launchTime"`
	AZ           string         `xml:"placement>availabilityZone"`
	PrivateIP    string         `xml:"privateIpAddress"`
	PublicIP     string         `xml:"ipAddress,omitempty"`
	Profile      *xmlProfileRef `xml:"iamInstanceProfile,omitempty"`
	Tags         []xmlTag       `xml:"tagSet>item"`
}

func (s *Sim) xmlInstanceOf(in *instance) xmlInstance {
	x := xmlInstance{InstanceID: in.id, ImageID: in.image, State: xmlState{stateCodes[in.state], in.state},
		PrivateDNS:   "ip-" + strings.ReplaceAll(in.privateIP, ".", "-") + "." + in.region + ".compute.internal",
		InstanceType: in.typ, LaunchTime: in.launched.Format(iamTime), AZ: in.az,
		PrivateIP: in.privateIP, PublicIP: in.publicIP}
	if p := s.acct.profiles[in.profile]; p != nil {
		x.Profile = &xmlProfileRef{Arn: s.acct.profileARN(p), ID: p.id}
	}
	if in.name != "" {
		x.Tags = []xmlTag{{"Name", in.name}}
	}
	return x
}

func opDescribeInstances(s *Sim, c *call) (any, *apiError) {
	ids := listParam(c.params, "InstanceId")
	for _, id := range ids {
		if in := s.acct.instances[id]; in == nil || in.region != c.region {
			return nil, ec2Err("InvalidInstanceID.NotFound", "The instance ID '"+id+"' does not exist")
		}
	}
	f := filters(c.params)
	var match []*instance
	for _, id := range sortedKeys(s.acct.instances) {
		in := s.acct.instances[id]
		profileARN := ""
		if p := s.acct.profiles[in.profile]; p != nil {
			profileARN = s.acct.profileARN(p)
		}
		if in.region != c.region || len(ids) > 0 && !slices.Contains(ids, id) ||
			!pass(f, "instance-id", id) || !pass(f, "instance-state-name", in.state) ||
			!pass(f, "ip-address", in.publicIP) || !pass(f, "private-ip-address", in.privateIP) ||
			!pass(f, "tag:Name", in.name) || !pass(f, "instance-type", in.typ) ||
			!pass(f, "iam-instance-profile.arn", profileARN) {
			continue
		}
		match = append(match, in)
	}
	lo, hi, next, e := ec2Page(c, len(match))
	if e != nil {
		return nil, e
	}
	type reservation struct {
		ID        string        `xml:"reservationId"`
		Owner     string        `xml:"ownerId"`
		Instances []xmlInstance `xml:"instancesSet>item"`
	}
	out := &struct {
		ec2Result
		Reservations []reservation `xml:"reservationSet>item"`
		NextToken    string        `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, in := range match[lo:hi] {
		out.Reservations = append(out.Reservations, reservation{in.reservation, s.acct.id, []xmlInstance{s.xmlInstanceOf(in)}})
	}
	return out, nil
}

// ec2Page applies MaxResults/NextToken paging.
func ec2Page(c *call, n int) (lo, hi int, next string, e *apiError) {
	limit := n
	if v := c.params.Get("MaxResults"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 5 || m > 1000 {
			return 0, 0, "", ec2Err("InvalidParameterValue", "Value ( "+v+" ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.")
		}
		limit = m
	}
	if v := c.params.Get("NextToken"); v != "" {
		var err error
		if lo, err = strconv.Atoi(strings.TrimPrefix(v, "tok-")); err != nil || lo < 0 || lo > n {
			return 0, 0, "", ec2Err("InvalidParameterValue", "The specified token is invalid.")
		}
	}
	hi = min(n, lo+limit)
	if hi < n {
		next = "tok-" + strconv.Itoa(hi)
	}
	return lo, hi, next, nil
}

func opDescribeAddresses(s *Sim, c *call) (any, *apiError) {
	type address struct {
		PublicIP      string `xml:"publicIp"`
		AllocationID  string `xml:"allocationId"`
		Domain        string `xml:"domain"`
		InstanceID    string `xml:"instanceId,omitempty"`
		AssociationID string `xml:"associationId,omitempty"`
		ENI           string `xml:"networkInterfaceId,omitempty"`
		ENIOwner      string `xml:"networkInterfaceOwnerId,omitempty"`
		PrivateIP     string `xml:"privateIpAddress,omitempty"`
	}
	out := &struct {
		ec2Result
		Addresses []address `xml:"addressesSet>item"`
	}{}
	ips := listParam(c.params, "PublicIp")
	f := filters(c.params)
	for _, id := range sortedKeys(s.acct.instances) {
		in := s.acct.instances[id]
		if !in.elastic || in.region != c.region || len(ips) > 0 && !slices.Contains(ips, in.publicIP) ||
			!pass(f, "public-ip", in.publicIP) || !pass(f, "instance-id", in.id) || !pass(f, "allocation-id", in.allocationID) {
			continue
		}
		out.Addresses = append(out.Addresses, address{in.publicIP, in.allocationID, "vpc", in.id, in.associationID, in.eniID, s.acct.id, in.privateIP})
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(out.Addresses, func(a address) bool { return a.PublicIP == ip }) {
			return nil, ec2Err("InvalidAddress.NotFound", "Address '"+ip+"' not found.")
		}
	}
	return out, nil
}

func opAssociateIamInstanceProfile(s *Sim, c *call) (any, *apiError) {
	id := c.params.Get("InstanceId")
	in := s.acct.instances[id]
	if in == nil || in.region != c.region {
		return nil, ec2Err("InvalidInstanceID.NotFound", "The instance ID '"+id+"' does not exist")
	}
	name := c.params.Get("IamInstanceProfile.Name")
	if arn := c.params.Get("IamInstanceProfile.Arn"); arn != "" {
		name = arn[strings.LastIndexByte(arn, '/')+1:]
	}
	p := s.acct.profiles[name]
	if p == nil {
		return nil, ec2Err("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", name))
	}
	if in.profile != "" {
		return nil, ec2Err("IncorrectState", "There is an existing association for instance "+id)
	}
	// Passing a role to EC2 needs iam:PassRole on it (EC2 User Guide, IAM
	// roles for EC2).
	for _, rn := range p.roles {
		r := s.acct.roles[rn]
		if e := s.authorize(&call{service: "iam", action: "PassRole", who: c.who, key: c.key},
			op{resource: func(*Sim, *call) string { return s.acct.roleARN(r) }}); e != nil {
			return nil, ec2Err("UnauthorizedOperation", "You are not authorized to perform this operation. "+e.message)
		}
	}
	in.profile, in.profileAssoc = p.name, s.ids.hexID("iip-assoc-")
	type assoc struct {
		ID       string        `xml:"associationId"`
		Instance string        `xml:"instanceId"`
		Profile  xmlProfileRef `xml:"iamInstanceProfile"`
		State    string        `xml:"state"`
		Time     string        `xml:"timestamp"`
	}
	a := assoc{in.profileAssoc, id, xmlProfileRef{s.acct.profileARN(p), p.id}, "associating", c.at.Format(iamTime)}
	c.resources = []eventResource{{Type: "AWS::EC2::Instance", Name: id}}
	c.respElems = map[string]any{"AssociateIamInstanceProfileResponse": map[string]any{
		"requestId": c.requestID, "iamInstanceProfileAssociation": map[string]any{
			"associationId": a.ID, "instanceId": id, "state": a.State,
			"iamInstanceProfile": map[string]string{"arn": a.Profile.Arn, "id": a.Profile.ID}}}}
	// Software on the instance picks up the role's credentials from instance
	// metadata: its workloads now call as the assumed role.
	if len(p.roles) > 0 {
		if r := s.acct.roles[p.roles[0]]; r != nil {
			for _, w := range s.workloads {
				if w.cw.w.Kind == KindEC2 && w.cw.w.RunsOn == id {
					s.assumeRoleFor(w, r, in.region)
				}
			}
		}
	}
	return &struct {
		ec2Result
		Association assoc `xml:"iamInstanceProfileAssociation"`
	}{Association: a}, nil
}
