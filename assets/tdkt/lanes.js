// Lanes name the role that does a task (the validator requires one for every task). bpmn-js assigns a lane only to
// flow nodes drawn directly in the participant: a node drawn inside an expanded sub-process (the nomination's unit
// preparation) would get none, although SpiffWorkflow reads the participant's lanes for it. So after a node is
// created or moved inside a sub-process that has no lanes of its own, it joins the participant's lane under its
// centre — as one more command, undone with the move.
import inherits from 'inherits-browser';
import CommandInterceptor from 'diagram-js/lib/command/CommandInterceptor';
import { is } from 'bpmn-js/lib/util/ModelUtil';

function participantOf(shape) {
  let parent = shape.parent;
  while (parent && !is(parent, 'bpmn:Participant')) {
    if (is(parent, 'bpmn:SubProcess') && parent.children.some((c) => is(c, 'bpmn:Lane'))) return null;
    parent = parent.parent;
  }
  return parent || null;
}

function lanesOf(participant) {
  const lanes = [];
  const walk = (el) => el.children.filter((c) => is(c, 'bpmn:Lane')).forEach((l) => {
    const inner = l.children.filter((c) => is(c, 'bpmn:Lane'));
    if (inner.length) walk(l); else lanes.push(l);
  });
  walk(participant);
  return lanes;
}

export default function SubProcessLaneBehavior(eventBus, modeling) {
  CommandInterceptor.call(this, eventBus);
  this.postExecuted(['shape.create', 'shape.move'], (event) => {
    const shape = event.context.shape;
    if (!shape || shape.labelTarget || !is(shape, 'bpmn:FlowNode') || !is(shape.parent, 'bpmn:SubProcess')) return;
    const participant = participantOf(shape);
    if (!participant) return;
    const mid = { x: shape.x + shape.width / 2, y: shape.y + shape.height / 2 };
    const bo = shape.businessObject;
    lanesOf(participant).forEach((lane) => {
      const inside = mid.y > lane.y && mid.y < lane.y + lane.height && mid.x > lane.x && mid.x < lane.x + lane.width;
      const refs = lane.businessObject.get('flowNodeRef');
      const has = refs.includes(bo);
      if (inside !== has) {
        modeling.updateModdleProperties(lane, lane.businessObject,
          { flowNodeRef: inside ? [...refs, bo] : refs.filter((r) => r !== bo) });
      }
    });
  });
}

inherits(SubProcessLaneBehavior, CommandInterceptor);
SubProcessLaneBehavior.$inject = ['eventBus', 'modeling'];
