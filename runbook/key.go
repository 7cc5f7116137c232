package runbook

import "time"

// Caller identity as STS reports it for the credentials keyrunbook runs with.
type Caller struct {
	Account     string `json:"account"`
	ARN         string `json:"arn"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
}

// KeyStatus is an access key's IAM status.
type KeyStatus string

// Key statuses; KeyGone ("Deleted") is ours (IAM then reports NoSuchEntity).
const (
	KeyActive   KeyStatus = "Active"
	KeyInactive KeyStatus = "Inactive"
	KeyGone     KeyStatus = "Deleted"
	KeyUnknown  KeyStatus = ""
)

// KeyFacts is what identification learned about the leaked key.
type KeyFacts struct {
	KeyID   string    `json:"keyId"`
	Account string    `json:"account"`        // owning account, from sts:GetAccessKeyInfo
	Root    bool      `json:"root"`           // owned by the account's root user
	User    string    `json:"user,omitempty"` // IAM user name when not root
	UserARN string    `json:"userArn,omitempty"`
	Status  KeyStatus `json:"status"`
	Created time.Time `json:"created,omitzero"`
	// Last use as iam:GetAccessKeyLastUsed reports it.
	LastUsed        time.Time `json:"lastUsed,omitzero"`
	LastUsedService string    `json:"lastUsedService,omitempty"`
	LastUsedRegion  string    `json:"lastUsedRegion,omitempty"`
	// Policies of the owner: attached managed, inline, and group names.
	AttachedPolicies []string `json:"attachedPolicies,omitempty"`
	InlinePolicies   []string `json:"inlinePolicies,omitempty"`
	Groups           []string `json:"groups,omitempty"`
	// QuarantinePolicy names AWS's AWSCompromisedKeyQuarantine* policy when
	// AWS already found the key in public; it must stay until closing.
	QuarantinePolicy string `json:"quarantinePolicy,omitempty"`
	RootMFA          *bool  `json:"rootMfa,omitempty"`         // GetAccountSummary AccountMFAEnabled
	RootKeysPresent  *bool  `json:"rootKeysPresent,omitempty"` // AccountAccessKeysPresent
	OtherKeys        int    `json:"otherKeys,omitempty"`       // the owner's other access keys
	OrgMember        bool   `json:"orgMember,omitempty"`       // account is an Organizations member
}

// Owner names the key's owner for people: "root" or "user alice".
func (k KeyFacts) Owner() string {
	switch {
	case k.Root:
		return "root user of " + k.Account
	case k.User != "":
		return "IAM user " + k.User
	}
	return "unknown owner"
}
