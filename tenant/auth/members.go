package auth

import (
	"sync"
	"time"

	"github.com/lanes-dev/lanes/tenant"
)

// memberCacheTTL is how long a resolved member is reused. A role change
// or a removal through Lanes drops the member at once, here and (through
// NOTIFY) on every replica; the TTL bounds how long a change made directly
// in the database, or a missed notice, takes to show.
const memberCacheTTL = 30 * time.Second

// memberCacheSize bounds the members kept (an arbitrary one is dropped
// when full).
const memberCacheSize = 10_000

// memberCache spares every member request its lookup query.
type memberCache struct {
	mu      sync.RWMutex
	members map[memberKey]cachedMember
	// generation counts forgets: a lookup that read the database before
	// one may not store what it read after it (the old role, a removed
	// member).
	generation uint64
}

type memberKey struct{ tenantRef, externalID string }

type cachedMember struct {
	actor   tenant.Actor
	expires time.Time
}

func newMemberCache() *memberCache {
	return &memberCache{members: map[memberKey]cachedMember{}}
}

func (c *memberCache) get(tenantRef, externalID string) (tenant.Actor, bool) {
	c.mu.RLock()
	m, ok := c.members[memberKey{tenantRef, externalID}]
	c.mu.RUnlock()
	if !ok || time.Now().After(m.expires) {
		return tenant.Actor{}, false
	}
	return m.actor, true
}

// gen returns the generation a lookup starts in, for put.
func (c *memberCache) gen() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.generation
}

func (c *memberCache) put(tenantRef, externalID string, a tenant.Actor, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.generation {
		return // a member changed while this was read: resolve it next time
	}
	if len(c.members) >= memberCacheSize {
		for k := range c.members {
			delete(c.members, k)
			break
		}
	}
	c.members[memberKey{tenantRef, externalID}] = cachedMember{actor: a, expires: time.Now().Add(memberCacheTTL)}
}

// forget drops every cached entry of a member (by any tenant reference).
func (c *memberCache) forget(memberID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	for k, m := range c.members {
		if string(m.actor.MemberID) == memberID {
			delete(c.members, k)
		}
	}
}
