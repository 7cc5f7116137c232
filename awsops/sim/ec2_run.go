package sim

import (
	"strconv"
)

func opRunInstances(s *Sim, c *call) (any, *apiError) {
	image, typ := c.params.Get("ImageId"), orDefault(c.params.Get("InstanceType"), "m1.small")
	if image == "" {
		return nil, ec2Err("MissingParameter", "The request must contain the parameter ImageId")
	}
	minN, err1 := strconv.Atoi(orDefault(c.params.Get("MinCount"), "1"))
	maxN, err2 := strconv.Atoi(orDefault(c.params.Get("MaxCount"), "1"))
	// AWS bounds a launch by the account's vCPU quota, not by a count;
	// the simulated account takes up to maxLaunch per call (a miner's
	// launch of dozens fits, ec2_run_trail.go).
	if err1 != nil || err2 != nil || minN < 1 || maxN < minN || maxN > maxLaunch {
		return nil, ec2Err("InvalidParameterValue", "MinCount and MaxCount must be between 1 and "+strconv.Itoa(maxLaunch)+", MinCount <= MaxCount.")
	}
	reservation := s.ids.hexID("r-")
	out := &struct {
		ec2Result
		ReservationID string        `xml:"reservationId"`
		OwnerID       string        `xml:"ownerId"`
		Instances     []xmlInstance `xml:"instancesSet>item"`
	}{ReservationID: reservation, OwnerID: s.acct.id}
	var trailItems []map[string]any
	c.resources = nil
	for range maxN {
		rng := s.ids.rng
		in := &instance{id: s.ids.hexID("i-"), region: c.region, az: c.region + "a", typ: typ, image: image,
			privateIP: "172.31." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(1+rng.IntN(254)),
			publicIP:  "18." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(1+rng.IntN(254)),
			launched:  c.at, state: "running", eniID: s.ids.hexID("eni-"), reservation: reservation}
		s.acct.instances[in.id] = in
		x := s.xmlInstanceOf(in)
		x.State = xmlState{0, "pending"}
		out.Instances = append(out.Instances, x)
		c.resources = append(c.resources, eventResource{Type: "AWS::EC2::Instance", Name: in.id})
		trailItems = append(trailItems, s.runTrailItem(in, instanceTags(c.params.Get), c.at))
	}
	c.respElems = map[string]any{"requestId": c.requestID, "reservationId": reservation, "ownerId": s.acct.id,
		"groupSet": map[string]any{}, "instancesSet": map[string]any{"items": trailItems}}
	return out, nil
}

func opTerminateInstances(s *Sim, c *call) (any, *apiError) {
	ids := listParam(c.params, "InstanceId")
	if len(ids) == 0 {
		return nil, ec2Err("MissingParameter", "The request must contain the parameter InstanceId")
	}
	type change struct {
		ID       string   `xml:"instanceId"`
		Current  xmlState `xml:"currentState"`
		Previous xmlState `xml:"previousState"`
	}
	out := &struct {
		ec2Result
		Changes []change `xml:"instancesSet>item"`
	}{}
	for _, id := range ids {
		if in := s.acct.instances[id]; in == nil || in.region != c.region {
			return nil, ec2Err("InvalidInstanceID.NotFound", "The instance ID '"+id+"' does not exist")
		}
	}
	for _, id := range ids {
		in := s.acct.instances[id]
		prev := xmlState{stateCodes[in.state], in.state}
		in.state = "terminated"
		out.Changes = append(out.Changes, change{id, xmlState{32, "shutting-down"}, prev})
		c.resources = append(c.resources, eventResource{Type: "AWS::EC2::Instance", Name: id})
	}
	return out, nil
}
