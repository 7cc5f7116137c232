"""Drives botocore (the AWS CLI's library, with AWS's published service
models) against a running keyrunbook simulator: every operation the
simulator serves, as the stock AWS CLI would send it.

Input (stdin, JSON): {"endpoint", "key", "secret", "leaked", "storeId", "now", "scenario"}
where scenario is the simulator's scenario as JSON. Output (stdout, JSON):
one verdict per call: service, op, ok, code, status, modeled, why.

A call passes when it succeeds and its reply parses against the model's
output shape, or when it fails with an error code the operation's model
documents, with the HTTP status the model gives it (or a common one, or for
EC2, whose model lists no errors, one of EC2's documented codes). A call with "expect" must fail with that code.
Botocore's own parameter validation runs first: a request the model
refuses never reaches the simulator, and is reported as a plan error.
"""
import datetime
import json
import sys
import time

import botocore.config
import botocore.exceptions
import botocore.session

# Errors any operation may return (the AWS "common errors" pages).
COMMON = {
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
    "ValidationError", "ValidationException", "InvalidParameterValue",
    "ThrottlingException", "Throttling", "InvalidClientTokenId",
    "UnrecognizedClientException", "SignatureDoesNotMatch",
    "InvalidSignatureException", "AuthFailure", "MissingAuthenticationToken",
    "ExpiredToken", "ExpiredTokenException", "InternalFailure",
}
# EC2's model documents no error shapes; its codes are listed in the EC2
# API reference ("Error codes for the Amazon EC2 API").
EC2_CODES = {
    "DryRunOperation", "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed",
    "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter",
    "IncorrectState", "IncorrectInstanceState", "InvalidAssociationID.NotFound",
    "InvalidParameter", "InvalidAMIID.Malformed",
}
# S3's model documents few errors; these are S3's REST error codes.
S3_CODES = {"NoSuchBucket", "NoSuchKey", "AccessDenied", "InvalidAccessKeyId", "NotImplemented", "InvalidArgument"}


def main():
    ctx = json.load(sys.stdin)
    sc = ctx["scenario"]
    sess = botocore.session.get_session()
    cfg = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"},
                                 s3={"addressing_style": "path"}, connect_timeout=10, read_timeout=60)
    clients = {}
    verdicts = []

    def client(service, region, secret=None, session=None):
        k = (service, region, secret, session and session["AccessKeyId"])
        if k not in clients:
            if session:  # temporary credentials (an AssumeRoot session)
                clients[k] = sess.create_client(
                    service, region_name=region, endpoint_url=ctx["endpoint"],
                    aws_access_key_id=session["AccessKeyId"], aws_secret_access_key=session["SecretAccessKey"],
                    aws_session_token=session["SessionToken"], config=cfg)
            else:
                clients[k] = sess.create_client(
                    service, region_name=region, endpoint_url=ctx["endpoint"],
                    aws_access_key_id=ctx["key"], aws_secret_access_key=secret or ctx["secret"], config=cfg)
        return clients[k]

    def call(service, op, params=None, region="us-east-1", expect=None, secret=None, session=None):
        c = client(service, region, secret, session)
        v = {"service": service, "op": op, "ok": False, "code": "", "status": 0, "modeled": False, "why": ""}
        if op not in c.meta.service_model.operation_names:
            v["skipped"] = True  # an older botocore, whose model predates the operation
            verdicts.append(v)
            return None
        out = None
        t0 = time.monotonic()
        try:
            out = c._make_api_call(op, params or {})
            v["status"] = out.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            v["ok"] = expect is None
            if expect is not None:
                v["why"] = "succeeded; want " + expect
        except botocore.exceptions.ClientError as e:
            v["code"] = e.response.get("Error", {}).get("Code", "")
            v["status"] = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            model = c.meta.service_model.operation_model(op)
            codes, statuses = set(), {}
            for shape in model.error_shapes:
                err = shape.metadata.get("error", {})
                for code in (shape.name, err.get("code", shape.name)):
                    codes.add(code)
                    if err.get("httpStatusCode"):
                        statuses[code] = err["httpStatusCode"]
            v["modeled"] = (v["code"] in codes or v["code"] in COMMON
                            or (service == "ec2" and v["code"] in EC2_CODES)
                            or (service == "s3" and v["code"] in S3_CODES))
            if expect is not None and v["code"] != expect:
                v["why"] = "error %s; want %s" % (v["code"], expect)
            elif not v["modeled"]:
                v["why"] = "error %s is not in the model of %s (documented: %s)" % (v["code"], op, sorted(codes))
            elif v["code"] in statuses and statuses[v["code"]] != v["status"]:
                v["why"] = "error %s with status %d; the model documents %d" % (v["code"], v["status"], statuses[v["code"]])
        except botocore.exceptions.ParamValidationError as e:
            if "Unknown parameter" in str(e):
                v["skipped"] = True  # a member newer than this botocore's model
            else:
                v["why"] = "plan error (the model refuses the request): %s" % e
        except Exception as e:  # a reply botocore cannot parse, a dropped connection
            v["why"] = "%s: %s" % (type(e).__name__, e)
        if expect is not None:
            v["expected"] = expect
        v["ms"] = int((time.monotonic() - t0) * 1000)
        verdicts.append(v)
        return out

    plan(sc, ctx, call)
    json.dump(verdicts, sys.stdout)


def org_plan(sc, ctx, call):
    """An organization's management account: Organizations, centralized
    root access, AssumeRoot and what its root session may read, and
    Security Hub's IAM.4 findings."""
    acct = sc["account"]["id"]
    call("organizations", "DescribeOrganization")
    accounts = call("organizations", "ListAccounts", {"MaxResults": 20})
    call("iam", "ListOrganizationsFeatures")
    call("iam", "EnableOrganizationsRootCredentialsManagement")
    call("iam", "EnableOrganizationsRootSessions")
    members = [a["Id"] for a in (accounts or {}).get("Accounts", []) if a["Id"] != acct]
    member = members[0] if members else "111122223333"
    audit = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
    call("sts", "AssumeRoot", {"TargetPrincipal": member, "TaskPolicyArn": {"arn": audit}, "DurationSeconds": 3600},
         expect="ValidationError")
    s = call("sts", "AssumeRoot", {"TargetPrincipal": member, "TaskPolicyArn": {"arn": audit}, "DurationSeconds": 900})
    if s:
        root = s["Credentials"]
        call("iam", "ListAccessKeys", session=root)
        call("iam", "GetAccountSummary", session=root)
        call("iam", "GetLoginProfile", session=root)
        # The audit task policy allows no change: UpdateAccessKey is denied.
        call("iam", "UpdateAccessKey", {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Inactive"},
             session=root, expect="AccessDenied")
    deny = ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",'
            '"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}}]}')
    p = call("organizations", "CreatePolicy", {"Content": deny, "Description": "conformance", "Name": "conformance-deny-root",
                                               "Type": "SERVICE_CONTROL_POLICY"})
    call("organizations", "CreatePolicy", {"Content": deny, "Description": "conformance", "Name": "conformance-deny-root",
                                           "Type": "SERVICE_CONTROL_POLICY"}, expect="DuplicatePolicyException")
    pid = p["Policy"]["PolicySummary"]["Id"] if p else "p-00000000"
    call("organizations", "AttachPolicy", {"PolicyId": pid, "TargetId": member})
    call("organizations", "ListPoliciesForTarget", {"TargetId": member, "Filter": "SERVICE_CONTROL_POLICY"})
    call("organizations", "ListPolicies", {"Filter": "SERVICE_CONTROL_POLICY"})
    call("organizations", "DeletePolicy", {"PolicyId": pid}, expect="PolicyInUseException")
    call("organizations", "DetachPolicy", {"PolicyId": pid, "TargetId": member})
    call("organizations", "DeletePolicy", {"PolicyId": pid})
    call("securityhub", "GetFindings", {"Filters": {"ComplianceSecurityControlId": [{"Value": "IAM.4", "Comparison": "EQUALS"}]},
                                        "MaxResults": 50})


def plan(sc, ctx, call):
    if sc.get("organization"):
        org_plan(sc, ctx, call)
        return
    acct = sc["account"]["id"]
    regions = sc.get("regions") or ["us-east-1"]
    region = "eu-west-1" if "eu-west-1" in regions else regions[0]

    # STS
    call("sts", "GetCallerIdentity")
    call("sts", "GetAccessKeyInfo", {"AccessKeyId": ctx["key"]})
    call("sts", "GetSessionToken", {"DurationSeconds": 900})
    call("sts", "GetFederationToken", {"Name": "conformance", "DurationSeconds": 900})

    # IAM: a user's life.
    u = "conformance-user"
    call("iam", "GetAccountSummary")
    call("iam", "ListUsers")
    call("iam", "CreateUser", {"UserName": u})
    call("iam", "GetUser", {"UserName": u})
    call("iam", "GetUser", {"UserName": "bad name!!"}, expect="ValidationError")
    call("iam", "GetUser", {"UserName": "no-such-user"}, expect="NoSuchEntity")
    k = call("iam", "CreateAccessKey", {"UserName": u})
    kid = k["AccessKey"]["AccessKeyId"] if k else "AKIAEXAMPLEEXAMPLE12"
    call("iam", "ListAccessKeys", {"UserName": u})
    call("iam", "GetAccessKeyLastUsed", {"AccessKeyId": kid})
    call("iam", "UpdateAccessKey", {"UserName": u, "AccessKeyId": kid, "Status": "Inactive"})
    call("iam", "DeleteAccessKey", {"UserName": u, "AccessKeyId": kid})
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    call("iam", "PutUserPolicy", {"UserName": u, "PolicyName": "p", "PolicyDocument": doc})
    call("iam", "ListUserPolicies", {"UserName": u})
    call("iam", "GetUserPolicy", {"UserName": u, "PolicyName": "p"})
    call("iam", "DeleteUserPolicy", {"UserName": u, "PolicyName": "p"})
    ro = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    call("iam", "AttachUserPolicy", {"UserName": u, "PolicyArn": ro})
    call("iam", "ListAttachedUserPolicies", {"UserName": u})
    call("iam", "DetachUserPolicy", {"UserName": u, "PolicyArn": ro})
    call("iam", "ListGroupsForUser", {"UserName": u})
    call("iam", "ListMFADevices", {"UserName": u})
    call("iam", "GetLoginProfile", {"UserName": u}, expect="NoSuchEntity")
    call("iam", "DeleteLoginProfile", {"UserName": u}, expect="NoSuchEntity")
    for user in sc.get("users") or []:
        if user.get("password"):
            call("iam", "GetLoginProfile", {"UserName": user["name"]})
            call("iam", "DeleteLoginProfile", {"UserName": user["name"]})
            break
    call("iam", "DeleteUser", {"UserName": u})

    # IAM: a role and its instance profile.
    r, p = "conformance-role", "conformance-profile"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % acct}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    call("iam", "CreateRole", {"RoleName": r, "AssumeRolePolicyDocument": trust})
    call("iam", "GetRole", {"RoleName": r})
    call("iam", "PutRolePolicy", {"RoleName": r, "PolicyName": "p", "PolicyDocument": doc})
    call("iam", "GetRolePolicy", {"RoleName": r, "PolicyName": "p"})
    call("iam", "ListRolePolicies", {"RoleName": r})
    call("iam", "AttachRolePolicy", {"RoleName": r, "PolicyArn": ro})
    call("iam", "ListAttachedRolePolicies", {"RoleName": r})
    call("iam", "CreateInstanceProfile", {"InstanceProfileName": p})
    call("iam", "AddRoleToInstanceProfile", {"InstanceProfileName": p, "RoleName": r})
    call("iam", "GetInstanceProfile", {"InstanceProfileName": p})
    call("iam", "ListInstanceProfilesForRole", {"RoleName": r})
    call("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::%s:role/%s" % (acct, r), "RoleSessionName": "conformance"})

    # EC2, with the profile above.
    call("ec2", "DescribeRegions", region=region)
    ami = {"ImageId": "ami-0abcdef1234567890", "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro"}
    call("ec2", "RunInstances", dict(ami, DryRun=True), region=region, expect="DryRunOperation")
    run = call("ec2", "RunInstances", ami, region=region)
    iid = run["Instances"][0]["InstanceId"] if run else "i-0123456789abcdef0"
    call("ec2", "DescribeInstances", {"InstanceIds": [iid]}, region=region)
    call("ec2", "DescribeInstances", {"InstanceIds": ["i-xyz"]}, region=region, expect="InvalidInstanceID.Malformed")
    call("ec2", "DescribeAddresses", region=region)
    call("ec2", "AssociateIamInstanceProfile", {"InstanceId": iid, "IamInstanceProfile": {"Name": p}}, region=region)
    assoc = call("ec2", "DescribeIamInstanceProfileAssociations", {"Filters": [{"Name": "instance-id", "Values": [iid]}]}, region=region)
    aid = assoc["IamInstanceProfileAssociations"][0]["AssociationId"] if assoc and assoc.get("IamInstanceProfileAssociations") else "iip-assoc-0123456789abcdef0"
    call("ec2", "ReplaceIamInstanceProfileAssociation", {"AssociationId": aid, "IamInstanceProfile": {"Name": p}}, region=region)
    call("ec2", "TerminateInstances", {"InstanceIds": [iid]}, region=region)

    # IAM: take the role apart again.
    call("iam", "RemoveRoleFromInstanceProfile", {"InstanceProfileName": p, "RoleName": r})
    call("iam", "DeleteInstanceProfile", {"InstanceProfileName": p})
    call("iam", "DetachRolePolicy", {"RoleName": r, "PolicyArn": ro})
    call("iam", "DeleteRolePolicy", {"RoleName": r, "PolicyName": "p"})
    call("iam", "DeleteRole", {"RoleName": r})
    call("iam", "GenerateCredentialReport")
    call("iam", "GetCredentialReport")
    call("iam", "SimulateCustomPolicy", {"PolicyInputList": [doc], "ActionNames": ["s3:GetObject", "iam:CreateUser"]})
    oidc = call("iam", "CreateOpenIDConnectProvider", {"Url": "https://token.actions.githubusercontent.com",
                                                       "ClientIDList": ["sts.amazonaws.com"],
                                                       "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"]})
    call("iam", "ListOpenIDConnectProviders")
    if oidc:
        call("iam", "GetOpenIDConnectProvider", {"OpenIDConnectProviderArn": oidc["OpenIDConnectProviderArn"]})

    # A wrong secret is refused by the model's client too.
    call("iam", "ListUsers", secret="x" * 40, expect="SignatureDoesNotMatch")

    # CloudTrail, Lake, Athena.
    call("cloudtrail", "LookupEvents", {"MaxResults": 5}, region=region)
    trails = call("cloudtrail", "DescribeTrails", region="us-east-1")
    name = trails["trailList"][0]["Name"] if trails and trails.get("trailList") else "no-trail"
    call("cloudtrail", "GetTrailStatus", {"Name": name}, region="us-east-1")
    store = ctx.get("storeId") or "00000000-0000-0000-0000-000000000000"
    leaked = ctx.get("leaked") or ctx["key"]
    # The last hour of the simulated clock: a whole 90 days of a busy key
    # takes the simulated engines seconds.
    now = datetime.datetime.strptime(ctx["now"], "%Y-%m-%dT%H:%M:%SZ")
    hour_ago = now - datetime.timedelta(hours=1)
    lake_sql = ("SELECT eventName FROM %s WHERE userIdentity.accessKeyId = '%s' "
                "AND eventTime >= '%s' AND eventTime <= '%s'" % (store, leaked, hour_ago.strftime("%Y-%m-%d %H:%M:%S"), now.strftime("%Y-%m-%d %H:%M:%S")))
    q = call("cloudtrail", "StartQuery", {"QueryStatement": lake_sql}, region="us-east-1")
    qid = q["QueryId"] if q else "00000000-0000-0000-0000-000000000000"
    for _ in range(3):  # the sim's query moves one state a poll
        call("cloudtrail", "DescribeQuery", {"QueryId": qid, "EventDataStore": store}, region="us-east-1")
    call("cloudtrail", "GetQueryResults", {"QueryId": qid, "EventDataStore": store}, region="us-east-1")
    q = call("cloudtrail", "StartQuery", {"QueryStatement": lake_sql}, region="us-east-1")
    qid = q["QueryId"] if q else qid
    call("cloudtrail", "CancelQuery", {"QueryId": qid, "EventDataStore": store}, region="us-east-1")
    bucket = sc["trails"][0]["bucket"] if sc.get("trails") else "no-bucket"
    athena_in = {"QueryString": "SELECT eventname FROM cloudtrail_logs WHERE useridentity.accesskeyid = '%s' "
                                "AND eventtime >= '%s' AND eventtime <= '%s'" % (leaked, hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ"), now.strftime("%Y-%m-%dT%H:%M:%SZ")),
                 "QueryExecutionContext": {"Database": "default"},
                 "ResultConfiguration": {"OutputLocation": "s3://%s/athena/" % bucket}}
    a = call("athena", "StartQueryExecution", athena_in, region="us-east-1")
    aid = a["QueryExecutionId"] if a else "00000000-0000-0000-0000-000000000000"
    for _ in range(3):
        call("athena", "GetQueryExecution", {"QueryExecutionId": aid}, region="us-east-1")
    call("athena", "GetQueryResults", {"QueryExecutionId": aid}, region="us-east-1")
    a = call("athena", "StartQueryExecution", athena_in, region="us-east-1")
    aid = a["QueryExecutionId"] if a else aid
    call("athena", "StopQueryExecution", {"QueryExecutionId": aid}, region="us-east-1")

    # CloudWatch (the CLI speaks JSON 1.0 to it), Organizations.
    call("cloudwatch", "DescribeAlarms", region=region)
    call("cloudwatch", "DescribeAlarms", {"StateValue": "ALARM", "MaxRecords": 10}, region="us-east-1")
    call("organizations", "DescribeOrganization")

    # Lambda and GuardDuty.
    fns = sc.get("functions") or [{"name": "no-function", "region": region}]
    fn = fns[0]
    call("lambda", "ListFunctions", region=fn["region"])
    call("lambda", "GetFunction", {"FunctionName": fn["name"]}, region=fn["region"])
    cfg = call("lambda", "GetFunctionConfiguration", {"FunctionName": fn["name"]}, region=fn["region"])
    call("lambda", "UpdateFunctionConfiguration", {"FunctionName": fn["name"], "Description": "conformance",
                                                   "RevisionId": cfg.get("RevisionId", "") if cfg else ""}, region=fn["region"])
    gd_region = (sc.get("guardDuty") or [{"region": region}])[0]["region"]
    det = call("guardduty", "ListDetectors", region=gd_region)
    did = det["DetectorIds"][0] if det and det.get("DetectorIds") else "12abc34d567e8fa901bc2d34e56789f0"
    call("guardduty", "GetDetector", {"DetectorId": did}, region=gd_region)

    # ECS.
    ecs = sc.get("ecs") or {}
    clusters = ecs.get("clusters") or [{"name": "no-cluster", "region": region, "services": [{"name": "no-service", "taskDefinition": {"family": "no-family"}}]}]
    cl = clusters[0]
    svc = (cl.get("services") or [{"name": "no-service", "taskDefinition": {"family": "no-family"}}])[0]
    family = svc.get("taskDefinition", {}).get("family") or svc["name"]
    call("ecs", "DescribeServices", {"cluster": cl["name"], "services": [svc["name"]]}, region=cl["region"])
    call("ecs", "DescribeTaskDefinition", {"taskDefinition": family}, region=cl["region"])
    td = call("ecs", "RegisterTaskDefinition", {"family": family, "containerDefinitions": [{"name": "app", "image": "public.ecr.aws/docker/library/busybox:latest"}]}, region=cl["region"])
    arn = td["taskDefinition"]["taskDefinitionArn"] if td else family
    call("ecs", "UpdateService", {"cluster": cl["name"], "service": svc["name"], "taskDefinition": arn}, region=cl["region"])

    # S3.
    call("s3", "ListBuckets")
    call("s3", "GetBucketLocation", {"Bucket": bucket})
    call("s3", "ListObjects", {"Bucket": bucket, "MaxKeys": 2})
    objs = call("s3", "ListObjectsV2", {"Bucket": bucket, "MaxKeys": 2, "Prefix": "AWSLogs/"})
    key = objs["Contents"][0]["Key"] if objs and objs.get("Contents") else "no-key"
    obj = call("s3", "GetObject", {"Bucket": bucket, "Key": key})
    if obj:
        obj["Body"].read()
    call("s3", "ListObjectsV2", {"Bucket": "no-such-bucket-anywhere"}, expect="NoSuchBucket")


if __name__ == "__main__":
    main()
