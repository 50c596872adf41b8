import TdktPropertiesProvider from './TdktPropertiesProvider';

export default {
  __init__: ['tdktPropertiesProvider'],
  tdktPropertiesProvider: ['type', TdktPropertiesProvider],
};
