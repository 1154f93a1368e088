package engine

import (
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// TotalNumberErrors: refused events, counted for the objects they concern.
//
// A TotalNumberErrors statistic is not indexed under its mask like the others (its
// index mask is empty: accepted events never reach it); the engine lists the open ones by
// object in refusals. Apply, when it refuses an event and some are open, finds the
// objects the event concerns — those its source propagates to, as far as they are known
// (the source object, its place and their groups, the agent the event names or, when it
// names none, the agents logged in on the DN, and their groups, the tenant) — and counts the event for each of
// their statistics whose MainMask has the event's action, of the stat type's media type
// when it has one, and whose filter holds on the event, where the filter reads the
// refusal's code as reason. The event counts at the engine clock (a refusal does not move
// it), as a momentary action would; refusals before the clock starts are not counted.
// When no such statistic is open, a refusal costs one comparison more.

// Apply applies one validated event: the start, update or end of a durable action, or an
// instantaneous one. Events must come in time order: an event older than the clock is
// rejected as late; equal times are applied in call order. A rejected event
// returns a *RejectError (see Code) and leaves the engine unchanged, but for the
// TotalNumberErrors statistics that count it.
func (e *Engine) Apply(ev *event.Event) error {
	err := e.apply(ev)
	if err != nil && len(e.refusals) > 0 && ev != nil {
		e.refused(ev, CodeOf(err))
	}
	return err
}

// refused counts refused event ev, refused with code, for the statistics that count it.
func (e *Engine) refused(ev *event.Event, code Code) {
	if !e.started || !ev.Action.Valid() {
		return
	}
	e.refusedTargets(ev)
	src, _ := e.dnSource(ev.Source.Class, ev.Source.ID)
	at := attrs{act: ev.Action, src: ev.Source.ID, ixn: ev.Interaction, media: ev.Media, data: ev.Data, reason: string(code)}
	at.agent, at.place = e.agentPlace(ev, src)
	t := e.clock
	for _, o := range e.tg {
		for _, si := range e.refusals[o] {
			s := &e.stats[si]
			x := s.ext
			if !x.cs.errMask.Has(ev.Action) || !e.mediaOK(s, ev.Media) || !e.passes(x, &at) {
				continue
			}
			e.roll(s, t)
			x.complete(s, completion{main: true, from: t, t: t, d: -1})
			e.touch(si)
		}
	}
}

// refusedTargets collects into e.tg the known objects refused event ev concerns, and sets
// e.tgAgent and e.tgPlace (see Apply's targets).
func (e *Engine) refusedTargets(ev *event.Event) {
	all := object.TypeSetOf(object.AllTypes()...)
	e.gen++
	e.tg = e.tg[:0]
	named, place := noObj, noObj
	if ev.Agent != "" {
		if a, ok := e.find(object.TypeAgent, ev.Agent); ok {
			named = a
		}
	}
	if ev.Place != "" {
		if p, ok := e.find(object.TypePlace, ev.Place); ok {
			place = p
		}
	}
	switch ev.Source.Class {
	case object.ClassRegularDN, object.ClassMediationDN:
		if d, ok := e.dnSource(ev.Source.Class, ev.Source.ID); ok {
			dn := &e.objs[d]
			e.add(d, all)
			e.addWithGroups(dn.place, all)
			if ev.Agent == "" { // an event naming an agent, even an unknown one, is not theirs
				for _, a := range dn.logged {
					e.addWithGroups(a, all)
				}
			}
			for _, g := range dn.groups {
				e.add(g, all)
			}
			e.add(dn.tenant, all)
		}
	case object.ClassMediaChannel:
		if named == noObj && place == noObj {
			if a, ok := e.find(object.TypeAgent, ev.Source.ID); ok {
				named = a
			} else if p, ok := e.find(object.TypePlace, ev.Source.ID); ok {
				place = p
			}
		}
	case object.ClassStagingArea, object.ClassTenant, object.ClassAgentWorkbin:
		if o, ok := e.find(classType(ev.Source.Class), ev.Source.ID); ok {
			e.add(o, all)
			e.add(e.objs[o].tenant, all)
		}
	}
	for _, o := range []int32{named, place} {
		if o != noObj {
			e.addWithGroups(o, all)
			e.add(e.objs[o].tenant, all)
		}
	}
	e.tgAgent, e.tgPlace = named, place
}

// register lists statistic si where the engine finds it outside the action indexes: a
// TotalNumberErrors statistic by its object.
func (e *Engine) register(si int32) {
	if s := &e.stats[si]; s.cat == category.TotalNumberErrors {
		e.refusals[s.obj] = append(e.refusals[s.obj], si)
	}
}

// unregister undoes register.
func (e *Engine) unregister(si int32) {
	s := &e.stats[si]
	if s.cat != category.TotalNumberErrors {
		return
	}
	if l := removeInt32(e.refusals[s.obj], si); len(l) > 0 {
		e.refusals[s.obj] = l
	} else {
		delete(e.refusals, s.obj)
	}
}

// indexMask is the mask statistics of stat type t are indexed under: their MainMask, but
// for TotalNumberErrors (refused events only reach it, see refused) and Formula (no
// action reaches it), nothing.
func indexMask(t *config.StatType) *config.Mask {
	switch t.Category {
	case category.TotalNumberErrors, category.Formula:
		return &config.Mask{}
	}
	return &t.MainMask
}
