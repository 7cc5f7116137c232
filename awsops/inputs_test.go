package awsops

import (
	"context"
	"net"
	"testing"
)

func TestValidRegion(t *testing.T) {
	for _, ok := range []string{"us-east-1", "eu-central-2", "ap-southeast-5", "us-gov-west-1", "cn-northwest-1", "il-central-1"} {
		if err := ValidRegion(ok); err != nil {
			t.Errorf("ValidRegion(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"mars-1", "", "us-east", "US-EAST-1", "us-east-1a", "eu-west-1 "} {
		if ValidRegion(bad) == nil {
			t.Errorf("ValidRegion(%q) accepted", bad)
		}
	}
}

func TestCheckEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := "http://" + ln.Addr().String()
	closed := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	defer ln.Close()
	tests := []struct {
		url string
		ok  bool
	}{
		{open, true},
		{closed, false},
		{"not-a-url", false},
		{"ftp://127.0.0.1:21", false},
		{"http://", false},
		{"http://unknown-host.invalid:4566", false},
	}
	for _, tt := range tests {
		if err := CheckEndpoint(context.Background(), tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckEndpoint(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}
