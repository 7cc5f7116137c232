package runbook

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// TrailQuery builds the SQL that reading src over [from, to] runs, for the
// responder to see before AddTrailSource: the machine accepts an Athena or
// Lake source only with exactly this query. Local and S3 sources run none.
func (s State) TrailQuery(src TrailSource, from, to time.Time) (*TrailQuery, error) {
	from, to = s.trailWindow(from, to)
	if err := ValidTrailSource(src); err != nil {
		return nil, err
	}
	// The key ID passed ParseKeyID at intake; checked again because Lake's
	// SQL embeds it (Lake queries take no parameters).
	key, err := ParseKeyID(s.KeyID)
	if err != nil {
		return nil, err
	}
	switch src.Kind {
	case TrailAthena:
		if src.CreateTable && !reAccount.MatchString(s.Intake.Key.Account) {
			return nil, fmt.Errorf("the table's location names the key's account, which identification has not read")
		}
		return athenaQuery(key, s.Intake.Key.Account, s.trailRegions(), src, from, to), nil
	case TrailLake:
		return lakeQuery(key, src, from, to), nil
	}
	return nil, nil
}

func (s State) trailWindow(from, to time.Time) (time.Time, time.Time) {
	if s.Investigate.Investigation != nil {
		if from.IsZero() {
			from = s.Investigate.Investigation.From
		}
		if to.IsZero() {
			to = s.Investigate.Investigation.To
		}
	}
	return from.UTC(), to.UTC()
}

func (s State) trailRegions() []string {
	var out []string
	if s.Investigate.Investigation != nil {
		for _, r := range s.Investigate.Investigation.Regions {
			if reRegion.MatchString(r.Region) {
				out = append(out, r.Region)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// queryColumns are the columns both queries return, by the names awsops
// reads them under: the trail record's fields keyrunbook folds.
var queryColumns = []string{
	"eventid", "eventtime", "eventsource", "eventname", "eventtype", "eventcategory", "awsregion",
	"sourceipaddress", "useragent", "errorcode", "errormessage", "readonly", "requestparameters",
	"responseelements", "vpcendpointid", "recipientaccountid", "identity_type", "identity_arn",
	"identity_account", "identity_key", "identity_user", "identity_invokedby",
}

// QueryColumns returns the column names of the rows an Athena or Lake
// query of TrailQuery answers with, in order.
func QueryColumns() []string { return slices.Clone(queryColumns) }

// selectList renders the columns from their expressions in one dialect.
func selectList(expr func(col string) string) string {
	parts := make([]string, len(queryColumns))
	for i, c := range queryColumns {
		parts[i] = expr(c) + " AS " + c
	}
	return strings.Join(parts, ",\n       ")
}

// athenaQuery reads the key's records between from and to. Every value
// from outside is an ExecutionParameter, never spliced into the text; the
// table name cannot be a parameter, so it is checked by reTable and quoted.
func athenaQuery(key, account string, regions []string, src TrailSource, from, to time.Time) *TrailQuery {
	cols := selectList(func(c string) string {
		if f, ok := strings.CutPrefix(c, "identity_"); ok {
			// Athena's table names the struct's fields in lower case.
			return "useridentity." + strings.ToLower(lakeNames[f])
		}
		return c
	})
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s\nFROM %s\nWHERE useridentity.accesskeyid = ?\n  AND eventtime >= ? AND eventtime <= ?", cols, quoteTable(src.Table))
	params := []string{sqlString(key), sqlString(from.Format(time.RFC3339)), sqlString(to.Format(time.RFC3339))}
	part := src.DatePartition
	if src.CreateTable {
		part = "timestamp"
	}
	if part != "" {
		// Partition projection reads only the days asked for: the cost.
		fmt.Fprintf(&b, "\n  AND \"%s\" BETWEEN ? AND ?", part)
		params = append(params, sqlString(from.Format("2006/01/02")), sqlString(to.Format("2006/01/02")))
	}
	b.WriteString("\nORDER BY eventtime")
	q := &TrailQuery{SQL: b.String(), Params: params}
	if src.CreateTable {
		q.DDL = athenaDDL(account, regions, src, from)
	}
	return q
}

// lakeQuery reads the key's records from a CloudTrail Lake event data
// store. Lake's StartQuery takes no parameters, so the values are spliced
// in: the key ID passed ParseKeyID (AKIA + base32), the store ID
// LakeStoreID (letters, digits, dashes) and the times are formatted here;
// none can carry a quote.
func lakeQuery(key string, src TrailSource, from, to time.Time) *TrailQuery {
	id, _ := LakeStoreID(src.EventDataStore) // ValidTrailSource checked it
	cols := selectList(func(c string) string {
		if f, ok := strings.CutPrefix(c, "identity_"); ok {
			return "userIdentity." + lakeNames[f]
		}
		return lakeNames[c]
	})
	const lakeTime = "2006-01-02 15:04:05"
	return &TrailQuery{SQL: fmt.Sprintf("SELECT %s\nFROM %s\nWHERE userIdentity.accessKeyId = '%s'\n  AND eventTime >= '%s' AND eventTime <= '%s'\nORDER BY eventTime",
		cols, id, key, from.Format(lakeTime), to.Format(lakeTime))}
}

// lakeNames are the case-sensitive field names of Lake's event schema.
var lakeNames = map[string]string{
	"eventid": "eventID", "eventtime": "eventTime", "eventsource": "eventSource", "eventname": "eventName",
	"eventtype": "eventType", "eventcategory": "eventCategory", "awsregion": "awsRegion",
	"sourceipaddress": "sourceIPAddress", "useragent": "userAgent", "errorcode": "errorCode",
	"errormessage": "errorMessage", "readonly": "readOnly", "requestparameters": "requestParameters",
	"responseelements": "responseElements", "vpcendpointid": "vpcEndpointId", "recipientaccountid": "recipientAccountId",
	"type": "type", "arn": "arn", "account": "accountId", "key": "accessKeyId", "user": "userName", "invokedby": "invokedBy",
}

// athenaDDL creates the table over the trail's prefix with partition
// projection on region and day, after AWS's "Create the table for
// CloudTrail logs in Athena using partition projection": no partitions to
// load, and a query names the days it reads.
func athenaDDL(account string, regions []string, src TrailSource, from time.Time) string {
	bucket, prefix, _ := ParseS3URI(src.Location)
	base := "s3://" + bucket + "/" + TrailPrefix(prefix, account)
	if len(regions) == 0 {
		regions = []string{"us-east-1"}
	}
	return fmt.Sprintf("CREATE EXTERNAL TABLE IF NOT EXISTS %s (\n"+
		"  eventversion STRING,\n"+
		"  useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,\n"+
		"    accesskeyid: STRING, username: STRING, sessioncontext: STRUCT<attributes: STRUCT<mfaauthenticated: STRING,\n"+
		"    creationdate: STRING>, sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING,\n"+
		"    username: STRING>>>,\n"+
		"  eventtime STRING, eventsource STRING, eventname STRING, awsregion STRING, sourceipaddress STRING,\n"+
		"  useragent STRING, errorcode STRING, errormessage STRING, requestparameters STRING, responseelements STRING,\n"+
		"  additionaleventdata STRING, requestid STRING, eventid STRING, readonly STRING,\n"+
		"  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>, eventtype STRING, apiversion STRING,\n"+
		"  recipientaccountid STRING, sharedeventid STRING, vpcendpointid STRING, eventcategory STRING)\n"+
		"PARTITIONED BY (region STRING, `timestamp` STRING)\n"+
		"ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"+
		"STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"+
		"OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"+
		"LOCATION '%s'\n"+
		"TBLPROPERTIES (\n"+
		"  'projection.enabled'='true',\n"+
		"  'projection.region.type'='enum',\n"+
		"  'projection.region.values'='%s',\n"+
		"  'projection.timestamp.type'='date',\n"+
		"  'projection.timestamp.format'='yyyy/MM/dd',\n"+
		"  'projection.timestamp.interval'='1',\n"+
		"  'projection.timestamp.interval.unit'='DAYS',\n"+
		"  'projection.timestamp.range'='%s,NOW',\n"+
		"  'storage.location.template'='%s${region}/${timestamp}')",
		ddlTable(src.Table), base, strings.Join(regions, ","), from.AddDate(0, 0, -1).Format("2006/01/02"), base)
}

// TrailPrefix is where a trail writes an account's logs under its own
// prefix: PREFIX/AWSLogs/ACCOUNT/CloudTrail/. A prefix that already names
// AWSLogs (an organization trail's AWSLogs/o-ID/) gets the rest added.
func TrailPrefix(prefix, account string) string {
	p := strings.Trim(prefix, "/")
	switch {
	case strings.HasSuffix(p, "/CloudTrail") || p == "CloudTrail":
		return p + "/"
	case strings.HasSuffix(p, "AWSLogs") || strings.Contains(p, "AWSLogs/"):
		return p + "/" + account + "/CloudTrail/"
	case p == "":
		return "AWSLogs/" + account + "/CloudTrail/"
	}
	return p + "/AWSLogs/" + account + "/CloudTrail/"
}

func quoteTable(t string) string {
	db, tbl, ok := strings.Cut(t, ".")
	if !ok {
		return `"` + db + `"`
	}
	return `"` + db + `"."` + tbl + `"`
}

func ddlTable(t string) string {
	db, tbl, ok := strings.Cut(t, ".")
	if !ok {
		return "`" + db + "`"
	}
	return "`" + db + "`.`" + tbl + "`"
}

// sqlString is a SQL string literal, as Athena's ExecutionParameters take
// them: quoted, quotes doubled.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var (
	reBucket    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	rePrefix    = regexp.MustCompile(`^[A-Za-z0-9!_.*()/=-]*$`)
	reWorkgroup = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,128}$`)
	reTable     = regexp.MustCompile(`^[a-z0-9_]{1,255}(\.[a-z0-9_]{1,255})?$`)
	reColumn    = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)
	// An event data store's ID is the 36-character suffix of its ARN.
	reLakeID  = regexp.MustCompile(`^[A-Za-z0-9-]{36}$`)
	reLakeARN = regexp.MustCompile(`^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:eventdatastore/([A-Za-z0-9-]{36})$`)
	reAccount = regexp.MustCompile(`^[0-9]{12}$`)
	reRegion  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
)

// ParseS3URI splits s3://bucket/prefix, checking the bucket's name and
// keeping the prefix to S3's safe characters (it may end up in a DDL).
func ParseS3URI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an S3 location: write s3://bucket/prefix", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !reBucket.MatchString(bucket) {
		return "", "", fmt.Errorf("%q is not an S3 bucket name", bucket)
	}
	if !rePrefix.MatchString(prefix) {
		return "", "", fmt.Errorf("the prefix %q has characters keyrunbook does not accept (letters, digits and !_.*()/=- only)", prefix)
	}
	return bucket, prefix, nil
}

// LakeStoreID returns the event data store ID of an ID or ARN, strictly
// checked: Lake's SQL names the store in its FROM clause.
func LakeStoreID(s string) (string, error) {
	if m := reLakeARN.FindStringSubmatch(s); m != nil {
		return m[1], nil
	}
	if reLakeID.MatchString(s) {
		return s, nil
	}
	return "", fmt.Errorf("%q is not a CloudTrail Lake event data store ID (36 letters, digits and dashes) or ARN", s)
}

// ValidTrailSource checks a source before anything reads it, with
// messages that say what to write instead.
func ValidTrailSource(src TrailSource) error {
	switch src.Kind {
	case TrailLocal:
		if strings.TrimSpace(src.Location) == "" {
			return fmt.Errorf("name the directory that holds the trail's log files")
		}
	case TrailS3:
		_, _, err := ParseS3URI(src.Location)
		return err
	case TrailAthena:
		return validAthena(src)
	case TrailLake:
		_, err := LakeStoreID(src.EventDataStore)
		return err
	default:
		return fmt.Errorf("%q is not a trail source: use local, s3, athena or lake", src.Kind)
	}
	return nil
}

func validAthena(src TrailSource) error {
	if !reWorkgroup.MatchString(src.Workgroup) {
		return fmt.Errorf("%q is not an Athena workgroup name", src.Workgroup)
	}
	if !reTable.MatchString(src.Table) {
		return fmt.Errorf("%q is not an Athena table name: write database.table in lower case letters, digits and _", src.Table)
	}
	if src.DatePartition != "" && !reColumn.MatchString(src.DatePartition) {
		return fmt.Errorf("%q is not a column name", src.DatePartition)
	}
	if src.Output != "" {
		if _, _, err := ParseS3URI(src.Output); err != nil {
			return fmt.Errorf("the Athena results location: %w", err)
		}
	}
	if src.CreateTable {
		if _, _, err := ParseS3URI(src.Location); err != nil {
			return fmt.Errorf("the table reads the trail's S3 prefix: %w", err)
		}
	}
	return nil
}
