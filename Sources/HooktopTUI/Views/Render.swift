/// The whole screen for a model.
public enum Render {
    /// `cache` keeps the open request's lines between frames (the runtime
    /// passes one; tests may leave it out).
    public static func screen(_ model: Model, cache: DetailCache? = nil) -> Screen {
        var screen = Screen(width: model.width, height: model.height)
        switch model.mode {
        case .detail:
            DetailView.draw(model, into: &screen, cache: cache)
        case .help(let returnTo):
            draw(returnTo, model, into: &screen, cache: cache)
            HelpView.draw(model, into: &screen)
        case .input(_, _, let returnTo):
            draw(returnTo, model, into: &screen, cache: cache)
            StatusBar.draw(model, into: &screen)
        case .list:
            ListView.draw(model, into: &screen)
        case .expectations:
            ExpectationsView.draw(model, into: &screen)
        }
        if model.asciiOnly { ASCIIFallback.apply(&screen) }
        return screen
    }

    private static func draw(_ context: KeyContext, _ model: Model, into screen: inout Screen, cache: DetailCache?) {
        switch context {
        case .detail: DetailView.draw(model, into: &screen, cache: cache)
        case .list: ListView.draw(model, into: &screen)
        case .expectations: ExpectationsView.draw(model, into: &screen)
        }
    }
}
