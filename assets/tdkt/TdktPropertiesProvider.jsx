// Our own properties-panel group for what TĐKT Flow's engine reads from a diagram: a user task's form and UI
// schema (picked from the server's form list), its `tdktRules`, a lane's role, a script task's Python script and
// the condition of a gateway's outgoing flow. Timers are edited by bpmn-js-properties-panel's own Timer group.
import { SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited, isTextAreaEntryEdited,
  isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { is } from 'bpmn-js/lib/util/ModelUtil';

import { FORM, RULES, UI_FORM, getProperty, setProperty } from './extensions';

const LOW_PRIORITY = 400;

export default class TdktPropertiesProvider {
  constructor(propertiesPanel, injector, config) {
    this._injector = injector;
    this._catalog = config || { forms: [], roles: [], rules: [] };
    propertiesPanel.registerProvider(LOW_PRIORITY, this);
  }

  getGroups(element) {
    return (groups) => {
      const entries = this._entries(element);
      if (entries.length) {
        // right after "Chung" (general): what our engine reads comes before documentation and the rest
        groups.splice(1, 0, { id: 'tdkt', label: 'TĐKT Flow', entries });
      }
      return groups;
    };
  }

  _entries(element) {
    const catalog = this._catalog;
    if (is(element, 'bpmn:UserTask')) {
      return [
        { id: 'tdkt-form', element, catalog, component: FormEntry, isEdited: isSelectEntryEdited },
        { id: 'tdkt-ui-form', element, catalog, component: UiFormEntry, isEdited: isSelectEntryEdited },
        { id: 'tdkt-rules', element, catalog, component: RulesEntry, isEdited: isTextFieldEntryEdited },
      ];
    }
    if (is(element, 'bpmn:Lane')) {
      return [{ id: 'tdkt-role', element, catalog, component: RoleEntry, isEdited: isSelectEntryEdited }];
    }
    if (is(element, 'bpmn:ScriptTask')) {
      return [{ id: 'tdkt-script', element, component: ScriptEntry, isEdited: isTextAreaEntryEdited }];
    }
    if (is(element, 'bpmn:SequenceFlow') && element.businessObject.sourceRef
        && is(element.businessObject.sourceRef, 'bpmn:Gateway')) {
      return [{ id: 'tdkt-condition', element, component: ConditionEntry, isEdited: isTextAreaEntryEdited }];
    }
    return [];
  }
}

TdktPropertiesProvider.$inject = ['propertiesPanel', 'injector', 'config.tdktCatalog'];

function options(names, current) {
  const list = [{ value: '', label: '— chưa chọn —' }, ...names.map((n) => ({ value: n, label: n }))];
  if (current && !names.includes(current)) list.push({ value: current, label: `${current} (không có trên máy chủ)` });
  return list;
}

function propertySelect(props, name, label, pick) {
  const { element, id, catalog } = props;
  const injector = useService('injector');
  const translate = useService('translate');
  return <SelectEntry id={ id } element={ element } label={ translate(label) }
    getValue={ () => getProperty(element.businessObject, name) }
    setValue={ (value) => setProperty(element, injector, name, value) }
    getOptions={ () => options(pick(catalog), getProperty(element.businessObject, name)) } />;
}

function FormEntry(props) {
  return propertySelect(props, FORM, 'Biểu mẫu (JSON Schema)',
    (c) => c.forms.filter((f) => f.endsWith('-schema.json')));
}

function UiFormEntry(props) {
  return propertySelect(props, UI_FORM, 'Gợi ý giao diện (UI schema)',
    (c) => c.forms.filter((f) => f.endsWith('-uischema.json')));
}

function RulesEntry(props) {
  const { element, id, catalog } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  return <TextFieldEntry id={ id } element={ element } debounce={ debounce }
    label="Quy tắc kiểm tra (tdktRules)"
    description={ `Tên quy tắc, cách nhau bằng dấu phẩy. Có: ${catalog.rules.join(', ')}` }
    getValue={ () => getProperty(element.businessObject, RULES) }
    setValue={ (value) => setProperty(element, injector, RULES, (value || '').trim()) } />;
}

function RoleEntry(props) {
  const { element, id, catalog } = props;
  const modeling = useService('modeling');
  const codes = catalog.roles.map((r) => r.code);
  return <SelectEntry id={ id } element={ element } label="Vai trò của làn"
    getValue={ () => element.businessObject.name || '' }
    setValue={ (value) => modeling.updateLabel(element, value) }
    getOptions={ () => {
      const current = element.businessObject.name || '';
      const list = [{ value: '', label: '— chưa chọn —' },
        ...catalog.roles.map((r) => ({ value: r.code, label: `${r.label} (${r.code})` }))];
      if (current && !codes.includes(current) && !catalog.roles.some((r) => r.label === current)) {
        list.push({ value: current, label: `${current} (không phải vai trò)` });
      }
      return list;
    } } />;
}

function ScriptEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  return <TextAreaEntry id={ id } element={ element } debounce={ debounce } monospace rows={ 6 }
    label="Mã Python (chạy trong hộp cát)"
    getValue={ () => element.businessObject.script || '' }
    setValue={ (value) => modeling.updateProperties(element, { scriptFormat: 'python', script: value || '' }) } />;
}

function ConditionEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  return <TextAreaEntry id={ id } element={ element } debounce={ debounce } monospace rows={ 2 }
    label="Điều kiện (biểu thức Python)"
    description="Ví dụ: council_decision == 'return'. Để trống với nhánh mặc định."
    getValue={ () => (element.businessObject.conditionExpression || {}).body || '' }
    setValue={ (value) => modeling.updateProperties(element, {
      conditionExpression: value ? bpmnFactory.create('bpmn:FormalExpression', { body: value }) : undefined }) } />;
}
