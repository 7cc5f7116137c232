package sim

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Lambda (restJson1, API version 2015-03-31): reading a function, listing
// them, and changing its configuration, which is how keyrunbook gives a
// function a new execution role. CloudTrail names Lambda's events with the
// API version ("GetFunction20150331v2", Lambda's CloudTrail documentation);
// the policy check strips it (iamAction).
func lambdaAPI() *service {
	fn := func(s *Sim, c *call) string { return s.functionResource(c) }
	const base = "/2015-03-31/functions"
	return &service{name: "lambda", wires: []string{wireREST}, routes: restTable(
		restRoute{method: http.MethodGet, pattern: base, action: "ListFunctions20150331",
			op: op{fn: opListFunctions, readOnly: true}},
		restRoute{method: http.MethodGet, pattern: base + "/{FunctionName}", action: "GetFunction20150331v2",
			op: op{fn: opGetFunction, readOnly: true, resource: fn}},
		restRoute{method: http.MethodGet, pattern: base + "/{FunctionName}/configuration", action: "GetFunctionConfiguration20150331v2",
			op: op{fn: opGetFunctionConfiguration, readOnly: true, resource: fn}},
		restRoute{method: http.MethodPut, pattern: base + "/{FunctionName}/configuration", action: "UpdateFunctionConfiguration20150331v2",
			op: op{fn: opUpdateFunctionConfiguration, resource: fn}},
	)}
}

// Function is a Lambda function of the scenario.
type Function struct {
	// Name is the function name, unique within its region.
	Name   string `json:"name"`
	Region string `json:"region"`
	// Role names the execution role, a role of the scenario.
	Role string `json:"role"`
	// Runtime defaults to python3.12, Handler to
	// lambda_function.lambda_handler.
	Runtime     string `json:"runtime,omitempty"`
	Handler     string `json:"handler,omitempty"`
	Description string `json:"description,omitempty"`
	// MemorySize is in MB (128-10240, default 128); Timeout in seconds
	// (1-900, default 3): Lambda's limits and defaults.
	MemorySize int `json:"memorySize,omitempty"`
	Timeout    int `json:"timeout,omitempty"`
	// Created is when it was last deployed (default "-300d").
	Created string `json:"created,omitempty"`
}

// lambdaFunction is a function's state in the account.
type lambdaFunction struct {
	name, region, role          string // role is the execution role's ARN
	runtime, handler, desc      string
	memory, timeout             int
	modified                    time.Time
	revision, codeHash, seedSum uint64
}

var reFunctionName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// reLambdaRole is the pattern Lambda checks a Role parameter against
// (Lambda API reference, UpdateFunctionConfiguration).
var reLambdaRole = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)

func (v *validator) functions() error {
	seen := map[string]bool{}
	for i, f := range v.sc.Functions {
		field := fmt.Sprintf("functions[%d]", i)
		if !reFunctionName.MatchString(f.Name) {
			return fieldErr(field+".name", "%q must be 1-64 letters, digits, dashes and underscores", f.Name)
		}
		if f.Region == "" || !v.enabled[f.Region] {
			return fieldErr(field+".region", "%q is not an enabled region of the scenario", f.Region)
		}
		if seen[f.Region+"/"+f.Name] {
			return fieldErr(field+".name", "%q is declared twice in %s", f.Name, f.Region)
		}
		seen[f.Region+"/"+f.Name] = true
		if !v.roles[f.Role] {
			return fieldErr(field+".role", "%q is not a role of the scenario", f.Role)
		}
		if f.MemorySize != 0 && (f.MemorySize < 128 || f.MemorySize > 10240) {
			return fieldErr(field+".memorySize", "%d is outside Lambda's 128-10240 MB", f.MemorySize)
		}
		if f.Timeout != 0 && (f.Timeout < 1 || f.Timeout > 900) {
			return fieldErr(field+".timeout", "%d is outside Lambda's 1-900 seconds", f.Timeout)
		}
		if _, err := pastOffset(field+".created", f.Created, 0); err != nil {
			return err
		}
	}
	return nil
}

// buildFunctions creates the scenario's functions. Their IDs (revision,
// code hash) derive from the names, not the ID stream, so declaring a
// function changes no other generated ID.
func buildFunctions(sc *Scenario, start time.Time) map[string]*lambdaFunction {
	out := map[string]*lambdaFunction{}
	for _, f := range sc.Functions {
		created, _ := offsetOr("", f.Created, -300*24*time.Hour) // validated by compile
		path := "/"
		for _, r := range sc.Roles {
			if r.Name == f.Role {
				path = orDefault(r.Path, "/")
			}
		}
		h := fnv.New64a()
		h.Write([]byte(sc.Account.ID + "/" + f.Region + "/" + f.Name))
		sum := h.Sum64()
		out[f.Region+"/"+f.Name] = &lambdaFunction{name: f.Name, region: f.Region,
			role:    "arn:aws:iam::" + sc.Account.ID + ":role" + path + f.Role,
			runtime: orDefault(f.Runtime, "python3.12"), handler: orDefault(f.Handler, "lambda_function.lambda_handler"),
			desc: f.Description, memory: orInt(f.MemorySize, 128), timeout: orInt(f.Timeout, 3),
			modified: start.Add(created), codeHash: mix64(sum ^ 0xc0de), seedSum: sum, revision: 1}
	}
	return out
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

func (s *Sim) functionARN(region, name string) string {
	return "arn:aws:lambda:" + region + ":" + s.acct.id + ":function:" + name
}

// functionRef reads the FunctionName label: a name, a partial ARN
// (ACCOUNT:function:NAME) or a full ARN, any of them with a qualifier.
func functionRef(c *call) (region, name string) {
	ref := c.params.Get("FunctionName")
	region = c.region
	if rest, ok := strings.CutPrefix(ref, "arn:"); ok {
		// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
		parts := strings.Split(rest, ":")
		if len(parts) >= 6 && parts[1] == "lambda" && parts[4] == "function" {
			return parts[2], parts[5]
		}
		return region, ref
	}
	if parts := strings.Split(ref, ":"); len(parts) >= 3 && parts[1] == "function" {
		return region, parts[2]
	}
	name, _, _ = strings.Cut(ref, ":")
	return region, name
}

// functionResource is the ARN the policy check is made against.
func (s *Sim) functionResource(c *call) string {
	region, name := functionRef(c)
	return s.functionARN(region, name)
}

func (s *Sim) functionOf(c *call) (*lambdaFunction, *apiError) {
	region, name := functionRef(c)
	f := s.acct.functions[region+"/"+name]
	if f == nil || region != c.region {
		return nil, &apiError{code: "ResourceNotFoundException", status: http.StatusNotFound,
			message: "Function not found: " + s.functionARN(region, name)}
	}
	c.resources = []eventResource{{Type: "AWS::Lambda::Function", Name: s.functionARN(f.region, f.name)}}
	return f, nil
}

// functionConfig is Lambda's FunctionConfiguration as the SDK reads it.
type functionConfig struct {
	FunctionName     string            `json:"FunctionName"`
	FunctionArn      string            `json:"FunctionArn"`
	Runtime          string            `json:"Runtime"`
	Role             string            `json:"Role"`
	Handler          string            `json:"Handler"`
	CodeSize         int64             `json:"CodeSize"`
	Description      string            `json:"Description"`
	Timeout          int               `json:"Timeout"`
	MemorySize       int               `json:"MemorySize"`
	LastModified     string            `json:"LastModified"`
	CodeSha256       string            `json:"CodeSha256"`
	Version          string            `json:"Version"`
	TracingConfig    map[string]string `json:"TracingConfig"`
	RevisionID       string            `json:"RevisionId"`
	State            string            `json:"State"`
	LastUpdateStatus string            `json:"LastUpdateStatus"`
	PackageType      string            `json:"PackageType"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage map[string]int    `json:"EphemeralStorage"`
	LoggingConfig    map[string]string `json:"LoggingConfig"`
}

// lambdaTime is LastModified's format ("2024-05-01T12:00:00.000+0000").
const lambdaTime = "2006-01-02T15:04:05.000-0700"

func (s *Sim) configOf(f *lambdaFunction) functionConfig {
	return functionConfig{FunctionName: f.name, FunctionArn: s.functionARN(f.region, f.name),
		Runtime: f.runtime, Role: f.role, Handler: f.handler, CodeSize: int64(2048 + f.codeHash%200000),
		Description: f.desc, Timeout: f.timeout, MemorySize: f.memory,
		LastModified: f.modified.UTC().Format(lambdaTime), CodeSha256: codeSha(f.codeHash), Version: "$LATEST",
		TracingConfig: map[string]string{"Mode": "PassThrough"}, RevisionID: f.revisionID(),
		State: "Active", LastUpdateStatus: "Successful", PackageType: "Zip", Architectures: []string{"x86_64"},
		EphemeralStorage: map[string]int{"Size": 512},
		LoggingConfig:    map[string]string{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + f.name}}
}

func (f *lambdaFunction) revisionID() string {
	return uuidFrom(mix64(f.seedSum^f.revision), mix64(f.seedSum+f.revision*0x9e3779b97f4a7c15))
}

// codeSha is a base64 SHA-256 look-alike of the deployment package.
func codeSha(h uint64) string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b [43]byte
	for i := range b {
		h = mix64(h + uint64(i))
		b[i] = b64[h%64]
	}
	return string(b[:]) + "="
}

func opGetFunctionConfiguration(s *Sim, c *call) (any, *apiError) {
	f, e := s.functionOf(c)
	if e != nil {
		return nil, e
	}
	return s.configOf(f), nil
}

func opGetFunction(s *Sim, c *call) (any, *apiError) {
	f, e := s.functionOf(c)
	if e != nil {
		return nil, e
	}
	// The real Location is a presigned S3 URL valid for ten minutes; this
	// one has the shape and no credentials.
	loc := fmt.Sprintf("https://awslambda-%s-tasks.s3.%s.amazonaws.com/snapshots/%s/%s-%s", f.region, f.region, s.acct.id, f.name, f.revisionID())
	return map[string]any{"Configuration": s.configOf(f),
		"Code": map[string]string{"RepositoryType": "S3", "Location": loc}, "Tags": map[string]string{}}, nil
}

// opListFunctions lists the region's functions by name, MaxItems (1-10000,
// default 50) at a time, the Marker being the next function's name.
func opListFunctions(s *Sim, c *call) (any, *apiError) {
	limit := 50
	if m := c.params.Get("MaxItems"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > 10000 {
			return nil, errInvalid("lambda", "1 validation error detected: Value '"+m+"' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000")
		}
		limit = n
	}
	var names []string
	for _, f := range s.acct.functions {
		if f.region == c.region {
			names = append(names, f.name)
		}
	}
	slices.Sort(names)
	if m := c.params.Get("Marker"); m != "" {
		i, found := slices.BinarySearch(names, m)
		if !found {
			return nil, &apiError{code: "InvalidParameterValueException", status: http.StatusBadRequest, message: "Invalid marker: " + m}
		}
		names = names[i:]
	}
	out := struct {
		Functions  []functionConfig `json:"Functions"`
		NextMarker string           `json:"NextMarker,omitempty"`
	}{Functions: []functionConfig{}}
	for i, n := range names {
		if i == limit {
			out.NextMarker = n
			break
		}
		out.Functions = append(out.Functions, s.configOf(s.acct.functions[c.region+"/"+n]))
	}
	return out, nil
}

// functionUpdate is the part of UpdateFunctionConfiguration's input the
// sim models; other fields (Environment, VpcConfig, Layers) are accepted
// and change nothing.
type functionUpdate struct {
	Role        *string `json:"Role"`
	Handler     *string `json:"Handler"`
	Runtime     *string `json:"Runtime"`
	Description *string `json:"Description"`
	MemorySize  *int    `json:"MemorySize"`
	Timeout     *int    `json:"Timeout"`
	RevisionID  *string `json:"RevisionId"`
}

// opUpdateFunctionConfiguration changes a function's configuration. A new
// Role needs iam:PassRole on it and a trust policy Lambda can assume, as
// on AWS; from then on, the workloads running on the function call as that
// role.
func opUpdateFunctionConfiguration(s *Sim, c *call) (any, *apiError) {
	f, e := s.functionOf(c)
	if e != nil {
		return nil, e
	}
	var in functionUpdate
	if e := restJSONInput(c, &in); e != nil {
		return nil, e
	}
	if in.RevisionID != nil && *in.RevisionID != f.revisionID() {
		return nil, &apiError{code: "PreconditionFailedException", status: http.StatusPreconditionFailed,
			message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	}
	if in.MemorySize != nil && (*in.MemorySize < 128 || *in.MemorySize > 10240) {
		return nil, errInvalid("lambda", fmt.Sprintf("1 validation error detected: Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240", *in.MemorySize))
	}
	if in.Timeout != nil && (*in.Timeout < 1 || *in.Timeout > 900) {
		return nil, errInvalid("lambda", fmt.Sprintf("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1 and at most 900", *in.Timeout))
	}
	var role *iamRole
	if in.Role != nil {
		var e *apiError
		if role, e = s.lambdaRole(c, *in.Role); e != nil {
			return nil, e
		}
		f.role = *in.Role
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&f.handler, in.Handler)
	set(&f.runtime, in.Runtime)
	set(&f.desc, in.Description)
	if in.MemorySize != nil {
		f.memory = *in.MemorySize
	}
	if in.Timeout != nil {
		f.timeout = *in.Timeout
	}
	f.revision++
	f.modified = c.at
	cfg := s.configOf(f)
	c.reqParams = map[string]any{"functionName": f.name, "role": in.Role, "handler": in.Handler,
		"runtime": in.Runtime, "description": in.Description, "memorySize": in.MemorySize, "timeout": in.Timeout}
	c.respElems = map[string]any{"functionName": cfg.FunctionName, "functionArn": cfg.FunctionArn,
		"runtime": cfg.Runtime, "role": cfg.Role, "handler": cfg.Handler, "timeout": cfg.Timeout,
		"memorySize": cfg.MemorySize, "lastModified": cfg.LastModified, "version": cfg.Version,
		"revisionId": cfg.RevisionID, "state": cfg.State, "lastUpdateStatus": "InProgress"}
	if role != nil {
		// Lambda hands the function's next invocations the role's
		// credentials: its code, which signed with the key, now uses them.
		for _, w := range s.workloads {
			if w.cw.w.Kind == KindLambda && w.cw.w.RunsOn == f.name {
				s.assumeRoleFor(w, role, f.region)
			}
		}
	}
	return cfg, nil
}

// lambdaRole checks a new execution role: its ARN's shape, iam:PassRole for
// the caller, and that it is a role of this account Lambda may assume.
func (s *Sim) lambdaRole(c *call, arn string) (*iamRole, *apiError) {
	if !reLambdaRole.MatchString(arn) {
		return nil, errInvalid("lambda", "1 validation error detected: Value '"+arn+"' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: "+reLambdaRole.String()[1:len(reLambdaRole.String())-1])
	}
	if e := s.authorize(&call{service: "iam", action: "PassRole", who: c.who, key: c.key},
		op{resource: func(*Sim, *call) string { return arn }}); e != nil {
		return nil, &apiError{code: "AccessDeniedException", message: e.message, status: http.StatusForbidden, trailCode: "AccessDenied"}
	}
	cannot := &apiError{code: "InvalidParameterValueException", status: http.StatusBadRequest,
		message: "The role defined for the function cannot be assumed by Lambda."}
	name := arn[strings.LastIndexByte(arn, '/')+1:]
	r := s.acct.roles[name]
	if r == nil || s.acct.roleARN(r) != arn {
		return nil, cannot
	}
	// The trust policy must let lambda.amazonaws.com assume the role; a
	// look for the service principal stands in for evaluating it.
	if !strings.Contains(r.trust, "lambda.amazonaws.com") {
		return nil, cannot
	}
	return r, nil
}

// digestFunctions adds the functions' configuration to StateDigest.
func (a *account) digestFunctions(line func(parts ...any)) {
	for _, k := range sortedKeys(a.functions) {
		f := a.functions[k]
		line("function", k, f.role, f.runtime, f.handler, f.desc, f.memory, f.timeout, f.revision)
	}
}
