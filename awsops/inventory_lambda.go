package awsops

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// LambdaReadAPI is the part of Lambda the inventory reads: which functions
// run where, so a Lambda caller (exec-env/AWS_Lambda_<runtime>) can be
// pinned to its function and its replacement role applied to it.
type LambdaReadAPI interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, opts ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
}

var _ LambdaReadAPI = (*lambda.Client)(nil)

// lambdaFor returns the region's Lambda client, or nil when the clients
// were built without a Lambda factory (tests with hand-made fakes).
func (c *Clients) lambdaFor(region string) LambdaReadAPI {
	if c.NewLambda == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if api, ok := c.lambda[region]; ok {
		return api
	}
	if c.lambda == nil {
		c.lambda = map[string]LambdaReadAPI{}
	}
	api := c.NewLambda(region)
	c.lambda[region] = api
	return api
}

func newLambdaFactory(cfg aws.Config) func(region string) LambdaReadAPI {
	return func(region string) LambdaReadAPI {
		return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = region })
	}
}

// regionFunctions lists a region's functions: name, ARN, runtime. Their
// environment is never read: it may hold secrets.
func regionFunctions(ctx context.Context, api LambdaReadAPI, region string) ([]Function, error) {
	if api == nil {
		return nil, nil
	}
	var out []Function
	p := lambda.NewListFunctionsPaginator(api, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list functions in %s: %w", region, err)
		}
		for _, f := range page.Functions {
			out = append(out, Function{Name: aws.ToString(f.FunctionName), Region: region,
				ARN: aws.ToString(f.FunctionArn), Runtime: strings.ToLower(string(f.Runtime))})
		}
	}
	return out, nil
}
