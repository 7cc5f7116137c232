package sim

import (
	"strconv"
	"strings"
	"time"
)

// maxLaunch is the most instances one RunInstances call launches here.
const maxLaunch = 100

// runTrailItem is one instance of RunInstances' responseElements as
// CloudTrail records it: the whole Instance structure of the EC2 API's
// RunInstances response (network interface, CPU, metadata and DNS options,
// tags), not only its ID. Each is about 2.5 KB, so a launch of a few dozen
// instances passes CloudTrail's 100 KB field limit and its response is
// omitted (TrailFieldLimit), as on AWS.
func (s *Sim) runTrailItem(in *instance, tags []map[string]string, at time.Time) map[string]any {
	vpc, subnet := "vpc-"+in.eniID[4:12], "subnet-"+in.eniID[4:21]
	dns := "ip-" + strings.ReplaceAll(in.privateIP, ".", "-") + "." + in.region + ".compute.internal"
	mac := "0a:" + in.eniID[4:6] + ":" + in.eniID[6:8] + ":" + in.eniID[8:10] + ":" + in.eniID[10:12] + ":" + in.eniID[12:14]
	group := map[string]any{"items": []map[string]string{{"groupId": "sg-" + in.eniID[4:21], "groupName": "default"}}}
	item := map[string]any{
		"instanceId": in.id, "imageId": in.image, "instanceType": in.typ, "amiLaunchIndex": 0,
		"instanceState": map[string]any{"code": 0, "name": "pending"}, "privateDnsName": dns, "productCodes": map[string]any{},
		"launchTime": at.UnixMilli(), "placement": map[string]string{"availabilityZone": in.az, "tenancy": "default"},
		"monitoring": map[string]string{"state": "disabled"}, "subnetId": subnet, "vpcId": vpc, "privateIpAddress": in.privateIP,
		"stateReason": map[string]string{"code": "pending", "message": "pending"}, "architecture": "x86_64",
		"rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda", "blockDeviceMapping": map[string]any{},
		"virtualizationType": "hvm", "hypervisor": "xen", "groupSet": group, "sourceDestCheck": true,
		"networkInterfaceSet": map[string]any{"items": []map[string]any{{
			"networkInterfaceId": in.eniID, "subnetId": subnet, "vpcId": vpc, "ownerId": s.acct.id, "status": "in-use",
			"macAddress": mac, "privateIpAddress": in.privateIP, "privateDnsName": dns, "sourceDestCheck": true,
			"interfaceType": "interface", "groupSet": group,
			"attachment": map[string]any{"attachmentId": "eni-attach-" + in.eniID[4:21], "deviceIndex": 0, "networkCardIndex": 0,
				"status": "attaching", "attachTime": at.UnixMilli(), "deleteOnTermination": true},
			"privateIpAddressesSet": map[string]any{"item": []map[string]any{{"privateIpAddress": in.privateIP, "privateDnsName": dns, "primary": true}}},
			"ipv6AddressesSet":      map[string]any{}, "tagSet": map[string]any{},
		}}},
		"ebsOptimized": false, "enaSupport": true,
		"cpuOptions":                       map[string]int{"coreCount": vcpus(in.typ) / 2, "threadsPerCore": 2},
		"capacityReservationSpecification": map[string]string{"capacityReservationPreference": "open"},
		"hibernationOptions":               map[string]bool{"configured": false},
		"enclaveOptions":                   map[string]bool{"enabled": false},
		"metadataOptions": map[string]any{"state": "pending", "httpTokens": "optional", "httpPutResponseHopLimit": 1,
			"httpEndpoint": "enabled", "httpProtocolIpv4": "enabled", "httpProtocolIpv6": "disabled", "instanceMetadataTags": "disabled"},
		"maintenanceOptions": map[string]string{"autoRecovery": "default"},
		"privateDnsNameOptions": map[string]any{"hostnameType": "ip-name", "enableResourceNameDnsARecord": false,
			"enableResourceNameDnsAAAARecord": false},
		"currentInstanceBootMode": "legacy-bios",
	}
	if len(tags) > 0 {
		item["tagSet"] = map[string]any{"items": tags}
	}
	return item
}

// instanceTags are the instance tags of RunInstances' TagSpecification
// parameters (TagSpecification.N.ResourceType=instance, .Tag.M.Key/Value).
func instanceTags(get func(string) string) []map[string]string {
	var tags []map[string]string
	for n := 1; ; n++ {
		p := "TagSpecification." + strconv.Itoa(n) + "."
		typ := get(p + "ResourceType")
		if typ == "" {
			return tags
		}
		if typ != "instance" {
			continue
		}
		for m := 1; get(p+"Tag."+strconv.Itoa(m)+".Key") != ""; m++ {
			t := p + "Tag." + strconv.Itoa(m) + "."
			tags = append(tags, map[string]string{"key": get(t + "Key"), "value": get(t + "Value")})
		}
	}
}

// vcpus is an instance type's vCPU count, from its size (AWS's sizes:
// large 2, xlarge 4, Nxlarge 4N); 2 when the size says nothing.
func vcpus(typ string) int {
	_, size, _ := strings.Cut(typ, ".")
	switch {
	case size == "xlarge":
		return 4
	case strings.HasSuffix(size, "xlarge"):
		if n, err := strconv.Atoi(strings.TrimSuffix(size, "xlarge")); err == nil {
			return 4 * n
		}
	}
	return 2
}
