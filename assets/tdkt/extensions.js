// Reading and writing SpiffWorkflow's `spiffworkflow:properties` on a BPMN element.
//
// No moddle descriptor is registered for the spiffworkflow namespace on purpose: bpmn-moddle keeps elements of an
// unregistered namespace as generic elements and writes them back unchanged, whereas a registered namespace drops
// every element it has no type for (e.g. SpiffArena's preScript) with a mere warning. Generic elements keep what
// we do not know; we edit only the `property` children we read.
export const SPIFF_NS = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
export const FORM = 'formJsonSchemaFilename';
export const UI_FORM = 'formUiSchemaFilename';
export const RULES = 'tdktRules';

function propertiesElement(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((v) => v.$type === 'spiffworkflow:properties');
}

export function getProperty(bo, name) {
  const props = propertiesElement(bo);
  const found = props && (props.$children || []).find((c) => c.$type === 'spiffworkflow:property' && c.name === name);
  return found ? found.value || '' : '';
}

// Set (or remove, for an empty value) one property through the command stack, so that undo/redo and the
// `commandStack.changed` autosave see it. The extension elements are rebuilt as new objects: the command stack
// keeps the old ones for undo.
export function setProperty(element, injector, name, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const moddle = injector.get('moddle');
  const modeling = injector.get('modeling');
  const bo = element.businessObject;
  const old = bo.extensionElements;
  const oldValues = (old && old.values) || [];
  const oldProps = propertiesElement(bo);
  const children = ((oldProps && oldProps.$children) || []).filter(
    (c) => !(c.$type === 'spiffworkflow:property' && c.name === name));
  if (value) {
    children.push(moddle.createAny('spiffworkflow:property', SPIFF_NS, { name, value }));
  }
  const values = oldValues.filter((v) => v !== oldProps);
  if (children.length) {
    const props = moddle.createAny('spiffworkflow:properties', SPIFF_NS, {});
    props.$children = children;
    values.push(props);
  }
  const ext = bpmnFactory.create('bpmn:ExtensionElements', { values });
  values.forEach((v) => { v.$parent = ext; });
  ext.$parent = bo;
  modeling.updateProperties(element, { extensionElements: values.length ? ext : undefined });
}
