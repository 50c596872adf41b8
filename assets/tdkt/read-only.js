// A diagram drawn read-only (bpmn-js's NavigatedViewer: pan and zoom) into a page's box, for the case page and the
// supervisors' heat map.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

// The viewer with `xml` drawn in `container`; null, with the reason written into `status`, when it cannot be drawn.
export async function drawReadOnly(container, xml, status) {
  const viewer = new NavigatedViewer({ container });
  try {
    await viewer.importXML(xml);
  } catch (err) {
    status.textContent = `Không vẽ được sơ đồ: ${err.message}`;
    return null;
  }
  return viewer;
}
