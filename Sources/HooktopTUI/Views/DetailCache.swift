import HooktopCore

/// The open request's laid-out lines, kept between frames. Formatting a
/// body (pretty JSON, hex, wrapping) costs time in its size; the view asks
/// on every tick, so the result is kept until something it depends on
/// changes: the request (or its delivery record), the tab, the body view,
/// wrapping or the width. A memo of a pure function: the view stays pure.
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

    private var key: Key?
    private var laidOut: DetailDocument?
    /// How often the lines were laid out (for tests and the benchmark).
    public private(set) var layouts = 0

    public init() {}

    func document(_ model: Model, _ r: CapturedRequest) -> DetailDocument {
        let key = Key(id: r.id, deliveries: r.deliveries.count, state: r.deliveryState.rawValue, tab: model.tab,
                      bodyView: model.bodyView, wrap: model.wrap, width: model.width)
        if key != self.key || laidOut == nil {
            self.key = key
            laidOut = DetailView.document(model, r)
            layouts += 1
        }
        return laidOut ?? DetailView.document(model, r)
    }
}
