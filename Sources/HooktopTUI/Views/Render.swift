/// The whole screen for a model.
public enum Render {
    public static func screen(_ model: Model) -> Screen {
        var screen = Screen(width: model.width, height: model.height)
        switch model.mode {
        case .detail:
            DetailView.draw(model, into: &screen)
        case .help(let returnTo):
            if returnTo == .detail { DetailView.draw(model, into: &screen) } else { ListView.draw(model, into: &screen) }
            HelpView.draw(model, into: &screen)
        case .input(_, _, let returnTo):
            if returnTo == .detail { DetailView.draw(model, into: &screen) } else { ListView.draw(model, into: &screen) }
            StatusBar.draw(model, into: &screen)
        case .list:
            ListView.draw(model, into: &screen)
        }
        if model.asciiOnly { ASCIIFallback.apply(&screen) }
        return screen
    }
}
