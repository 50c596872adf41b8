// The path a case took, drawn from what the server knows without running the workflow: the elements the audit
// trail names (completed tasks, fired timers) and where the case waits now. Automatic elements (gateways, script
// tasks, events) leave no audit row, so one counts as passed when the path reaches it and goes on past it; a
// sequence flow counts as taken when both its ends were.
export function inferPath(registry, states) {
  const waiting = new Set(Object.keys(states).filter((id) => ['active', 'incident'].includes(states[id].state)));
  const visited = new Set(Object.keys(states).filter((id) => states[id].completed > 0 || waiting.has(id)));
  const nodes = registry.filter((e) => e.type !== 'label' && e.incoming !== undefined && !e.waypoints);
  const flowsIn = (e) => (e.incoming || []).filter((c) => c.type === 'bpmn:SequenceFlow');
  const flowsOut = (e) => (e.outgoing || []).filter((c) => c.type === 'bpmn:SequenceFlow');
  // Starts count as passed as soon as anything was visited.
  if (visited.size) {
    nodes.filter((e) => e.type === 'bpmn:StartEvent' && !flowsIn(e).length && !(e.parent && e.parent.type === 'bpmn:SubProcess'))
      .forEach((e) => visited.add(e.id));
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const e of nodes) {
      if (visited.has(e.id) || e.type === 'bpmn:UserTask' || e.type === 'bpmn:BoundaryEvent') continue;
      const reached = flowsIn(e).some((f) => visited.has(f.source.id));
      const left = flowsOut(e).some((f) => visited.has(f.target.id))
        || (e.type === 'bpmn:SubProcess' && (e.children || []).some((c) => visited.has(c.id)));
      const isStartOfVisitedSub = e.type === 'bpmn:StartEvent' && e.parent && visited.has(e.parent.id);
      if ((reached && left) || isStartOfVisitedSub) { visited.add(e.id); changed = true; }
      // a subprocess the case is inside of (it waits on a child)
      if (e.type === 'bpmn:SubProcess' && !visited.has(e.id) && (e.children || []).some((c) => waiting.has(c.id))) {
        visited.add(e.id); changed = true;
      }
    }
  }
  const flows = registry.filter((e) => e.type === 'bpmn:SequenceFlow'
    && visited.has(e.source.id) && visited.has(e.target.id) && !waiting.has(e.source.id));
  return { visited, flows: flows.map((f) => f.id) };
}
