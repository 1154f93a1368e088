package replica

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// OverlapError refuses a group one of whose tenants another group serves: two groups
// sharing a tenant would both apply its records under different clocks and hold
// different states for it.
type OverlapError struct {
	// Tenant is the tenant both groups claim; Other is the group that holds it.
	Tenant, Other string
}

// Error names the tenant and the other group.
func (e *OverlapError) Error() string {
	return fmt.Sprintf("replica: tenant %q is served by another group of replicas (%s): groups must not overlap (give every replica of a group the same --tenants, and each tenant to one group)", e.Tenant, e.Other)
}

// Claim claims the group's tenants in the bucket <stream>_tenants (key: the tenant's
// token, value: the group's name), or renews the claims it holds; it fails with an
// *OverlapError when another group holds one of them. A claim not renewed for three
// LeaseTTLs expires: a replica calls Claim at start and every LeaseTTL after (every
// replica of a group claims the same tenants for the same group, so they renew each
// other's claims).
func (l *Log) Claim(ctx context.Context) error {
	name := []byte(l.group.Name())
	for _, t := range l.group.tenants {
		key := TenantToken(t)
		var other string // the group that holds the tenant, when another one does
		for done := false; !done && other == ""; {
			err := attempt(ctx, "claiming tenant "+t, func(ctx context.Context) error {
				e, err := l.c.tenants.Get(ctx, key)
				switch {
				case errors.Is(err, jetstream.ErrKeyNotFound):
					_, err = l.c.tenants.Create(ctx, key, name)
					if errors.Is(err, jetstream.ErrKeyExists) {
						return nil // claimed meanwhile: read it again
					}
				case err == nil && string(e.Value()) != string(name):
					other = string(e.Value())
					return nil
				case err == nil:
					_, err = l.c.tenants.Put(ctx, key, name)
				}
				done = err == nil
				return err
			})
			if err != nil {
				return err
			}
		}
		if other != "" {
			return &OverlapError{Tenant: t, Other: other}
		}
	}
	return nil
}
