import HooktopCore

/// The open request's laid-out lines, kept between frames. Formatting a
/// body (pretty JSON, hex, wrapping) costs time in its size; the view asks
/// on every tick, so the result is kept until something it depends on
/// changes: the request (or its delivery record), the tab, the body view,
/// wrapping or the width. The last two layouts are kept, so turning wrap
/// off and on again (or going back to the last tab) does not lay a large
/// body out again. A memo of a pure function: the view stays pure.
public final class DetailCache {
    private struct Key: Equatable {
        var id: Int64
        var deliveries: Int
        var state: String
        var tab: Model.Tab
        var bodyView: Model.BodyView
        var wrap: Bool
        var width: Int
    }

    /// Newest first, at most two.
    private var kept: [(key: Key, document: DetailDocument)] = []
    /// The tab's content before wrapping (a body's line index, its pretty
    /// JSON…), which neither wrapping nor the width changes: turning wrap
    /// off on a 10 MiB body built it again (18–27 ms, the slowest key).
    private var content: (key: Key, parts: [DetailDocument.Part])?
    /// How often the lines were laid out (for tests and the benchmark).
    public private(set) var layouts = 0
    /// How often a tab's content was built (wrapping and the width reuse it).
    public private(set) var contentBuilds = 0

    public init() {}

    func document(_ model: Model, _ r: CapturedRequest) -> DetailDocument {
        let key = Key(id: r.id, deliveries: r.deliveries.count, state: r.deliveryState.rawValue, tab: model.tab,
                      bodyView: model.bodyView, wrap: model.wrap, width: model.width)
        if let i = kept.firstIndex(where: { $0.key == key }) {
            let hit = kept.remove(at: i)
            kept.insert(hit, at: 0)
            return hit.document
        }
        var contentKey = key
        (contentKey.wrap, contentKey.width) = (false, 0)
        let parts: [DetailDocument.Part]
        if let content, content.key == contentKey {
            parts = content.parts
        } else {
            parts = DetailView.content(r, tab: model.tab, bodyView: model.bodyView)
            content = (contentKey, parts)
            contentBuilds += 1
        }
        let document = DetailView.document(model, parts)
        layouts += 1
        kept.insert((key, document), at: 0)
        if kept.count > 2 { kept.removeLast() }
        return document
    }
}
