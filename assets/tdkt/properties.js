import TdktPropertiesProvider from './TdktPropertiesProvider';
import SubProcessLaneBehavior from './lanes';

export default {
  __init__: ['tdktPropertiesProvider', 'tdktSubProcessLanes'],
  tdktSubProcessLanes: ['type', SubProcessLaneBehavior],
  tdktPropertiesProvider: ['type', TdktPropertiesProvider],
};
