package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// exampleSecret is the secret access key of the AWS documentation's examples.
const exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// exampleToken is shaped like a current STS session token (IQoJb3JpZ2lu…).
var exampleToken = "IQoJb3JpZ2luX2VjEHYaCXVzLWVhc3QtMSJHMEUCIQ" + strings.Repeat("Ab9+/Xy", 30) + "=="

func TestIsSecretField(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"SecretAccessKey", true},
		{"secretAccessKey", true},
		{"secret_access_key", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"secret", true},
		{"Secret", true},
		{"clientSecret", true},
		{"SessionToken", true},
		{"session_token", true},
		{"aws_session_token", true},
		{"X-Amz-Security-Token", true},
		{"password", true},
		{"NewPassword", true},
		{"PrivateKey", true},
		{"private_key", true},
		{"secretString", true},
		// Fields about secrets, not secrets: evidence the responder needs.
		{"secretId", false},
		{"PasswordLastUsed", false},
		{"PasswordResetRequired", false},
		{"AccessKeyId", false},
		{"userName", false},
		{"nextToken", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsSecretField(tt.name); got != tt.want {
				t.Errorf("IsSecretField(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestRedactString(t *testing.T) {
	hash64 := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"secret alone", exampleSecret, RedactedSecret},
		{"secret in a sentence", "InvalidClientTokenId: key " + exampleSecret + " was rejected.",
			"InvalidClientTokenId: key " + RedactedSecret + " was rejected."},
		{"secret after =", "aws_secret_access_key=" + exampleSecret, "aws_secret_access_key=" + RedactedSecret},
		{"secret after key id and colon", "AKIAIOSFODNN7EXAMPLE:" + exampleSecret, "AKIAIOSFODNN7EXAMPLE:" + RedactedSecret},
		{"two secrets", exampleSecret + " " + strings.ToLower(exampleSecret[:20]) + strings.ToUpper(exampleSecret[20:]),
			RedactedSecret + " " + RedactedSecret},
		{"secret quoted", `"` + exampleSecret + `"`, `"` + RedactedSecret + `"`},
		{"secret after ARN and space", "arn:aws:iam::123456789012:user/alice " + exampleSecret,
			"arn:aws:iam::123456789012:user/alice " + RedactedSecret},
		{"secret glued to ARN by comma", "arn:aws:iam::123456789012:user/alice," + exampleSecret,
			"arn:aws:iam::123456789012:user/alice," + RedactedSecret},
		{"session token", "token " + exampleToken + " end", "token " + RedactedToken + " end"},
		{"unicode around secret", "clé «" + exampleSecret + "» ✓", "clé «" + RedactedSecret + "» ✓"},
		// False positives that must not happen.
		{"41-character run", exampleSecret + "A", exampleSecret + "A"},
		{"39-character run", exampleSecret[1:], exampleSecret[1:]},
		{"our 64-hex hash", hash64, hash64},
		{"40-hex SHA-1 lower case", hash64[:40], hash64[:40]},
		{"40-hex SHA-1 upper case", strings.ToUpper(hash64[:40]), strings.ToUpper(hash64[:40])},
		{"access key ID", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"},
		{"plain ARN", "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"},
		{"ARN with a 40-character resource path", "arn:aws:iam::123456789012:role/ci/DeployBotForProductionAcct1",
			"arn:aws:iam::123456789012:role/ci/DeployBotForProductionAcct1"},
		{"ARN in a message", "User: arn:aws:iam::123456789012:role/ci/DeployBotForProductionAcct1 is not authorized",
			"User: arn:aws:iam::123456789012:role/ci/DeployBotForProductionAcct1 is not authorized"},
		{"ordinary text", "Deactivate key AKIAIOSFODNN7EXAMPLE of user alice? Type its last four characters.",
			"Deactivate key AKIAIOSFODNN7EXAMPLE of user alice? Type its last four characters."},
		{"user agent", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exec-env/CloudShell",
			"aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exec-env/CloudShell"},
		{"event name", "UpdateFunctionConfiguration20150331v2", "UpdateFunctionConfiguration20150331v2"},
		{"long base64 that is not a token", strings.Repeat("Ab9+/Xy", 30), strings.Repeat("Ab9+/Xy", 30)},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactString(tt.in); got != tt.want {
				t.Errorf("RedactString(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"secret field", `{"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"x"}`,
			`{"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"[REDACTED]"}`},
		{"field names in any case", `{"SECRET":"a","Session_Token":"b","PASSWORD":"c","privateKey":"d"}`,
			`{"SECRET":"[REDACTED]","Session_Token":"[REDACTED]","PASSWORD":"[REDACTED]","privateKey":"[REDACTED]"}`},
		{"secret field holding an object", `{"secret":{"a":1,"b":[1,2]},"keep":true}`,
			`{"secret":"[REDACTED]","keep":true}`},
		{"secret field null or empty stays", `{"password":null,"secret":""}`, `{"password":null,"secret":""}`},
		{"nested in arrays", `{"a":[{"b":[{"sessionToken":"t"}]}]}`, `{"a":[{"b":[{"sessionToken":"[REDACTED]"}]}]}`},
		{"secret in a value", `{"error":"bad key ` + exampleSecret + `"}`, `{"error":"bad key [REDACTED-SECRET]"}`},
		{"secret in an array", `["` + exampleSecret + `",1]`, `["[REDACTED-SECRET]",1]`},
		{"secret as a field name", `{"` + exampleSecret + `":1}`, `{"[REDACTED-SECRET]":1}`},
		{"order, numbers and literals kept", `{"z":12345678901234567890,"a":1.50,"m":[true,false,null]}`,
			`{"z":12345678901234567890,"a":1.50,"m":[true,false,null]}`},
		{"whitespace dropped", "{ \"a\" : [ 1 , 2 ] }", `{"a":[1,2]}`},
		{"top-level string", `"` + exampleSecret + `"`, `"[REDACTED-SECRET]"`},
		{"secretId kept", `{"secretId":"prod/db"}`, `{"secretId":"prod/db"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RedactJSON([]byte(tt.in))
			if err != nil {
				t.Fatalf("RedactJSON: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("RedactJSON(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("output is not valid JSON: %s", got)
			}
		})
	}
}

func TestRedactJSONRejectsInvalid(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a":}`, `[1,]`, `{} {}`, `{"a":1}x`} {
		if _, err := RedactJSON([]byte(in)); err == nil {
			t.Errorf("RedactJSON(%q) = nil error, want one", in)
		}
	}
}

type leakyMarshaler struct{}

func (leakyMarshaler) MarshalJSON() ([]byte, error) {
	return nil, errors.New("cannot encode credentials " + exampleSecret)
}

func TestRedactedErrorHidesSecretKeepsCause(t *testing.T) {
	cause := errors.New("boom " + exampleSecret)
	err := redactedError{cause}
	if strings.Contains(err.Error(), exampleSecret) {
		t.Errorf("error text leaks the secret: %s", err)
	}
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not find the cause")
	}
}

// FuzzRedactJSON checks, for any valid JSON, that the output is valid JSON,
// holds nothing left to redact, and means the same as the input when
// nothing was redacted.
func FuzzRedactJSON(f *testing.F) {
	seeds := []string{
		`{"a":1}`, `[1,"x",{"b":[true,null]}]`, ` { "k" : "v" , "n" : -1.5e3 } `, `"str"`, `12`, `null`,
		`{"secret":{"x":[1,{"y":"}"}]},"after":[{"password":"p\"q"}]}`,
		`{"msg":"key ` + exampleSecret + ` here","e":"\u0077Jalr"}`,
		`{"e":"\u0077JalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`,
		`{"a":"\"quoted\" \\ back","b":"<>&"}`,
		`[[],{},[{}],""]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		out, err := RedactJSON(in)
		if err != nil {
			t.Fatalf("RedactJSON(%s): %v", in, err)
		}
		if !json.Valid(out) {
			t.Fatalf("RedactJSON(%s) = %s, not valid JSON", in, out)
		}
		// Idempotence: nothing in the output still looks like a secret.
		if again, err := RedactJSON(out); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("RedactJSON(%s) = %s, but redacting that again gives %s (%v)", in, out, again, err)
		}
		if bytes.Contains(out, []byte("[REDACTED")) {
			return
		}
		if a, b := decodeExact(t, in), decodeExact(t, out); !reflect.DeepEqual(a, b) {
			t.Fatalf("RedactJSON(%s) = %s, which means something else", in, out)
		}
	})
}

// decodeExact decodes JSON keeping numbers as written, so 1e700 compares.
func decodeExact(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func BenchmarkRedactJSON1MB(b *testing.B) {
	events := make([]map[string]string, 0, 4000)
	for i := range 4000 {
		events = append(events, map[string]string{
			"eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
			"userAgent":    "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exec-env/CloudShell",
			"userIdentity": fmt.Sprintf("arn:aws:iam::123456789012:user/u%d", i),
		})
	}
	raw, err := json.Marshal(events)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := RedactJSON(raw); err != nil {
			b.Fatal(err)
		}
	}
}
