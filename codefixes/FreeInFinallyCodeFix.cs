using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PinAnalyzers.Flow;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN1002 "Free in <c>finally</c> / <c>using</c>": the statements after a pin kept in a local move into a
    /// <c>try</c> whose <c>finally</c> frees the handle (a <c>PinnedGCHandle&lt;T&gt;</c> becomes a <c>using</c>), and
    /// the releases they made themselves go away. See docs/rules/PIN1002.md.
    /// </summary>
    /// <remarks>The rewrite is <see cref="ReleaseOnEveryPath"/>, shared with <see cref="DisposeWithUsingCodeFix"/>.</remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FreeInFinallyCodeFix)), Shared]
    public sealed class FreeInFinallyCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN1002.FreeInFinally";

        private const string FreeTitle = "Free the pinned handle in a finally block";
        private const string DisposeTitle = "Dispose the pinned handle with using";

        private static readonly ImmutableArray<PinKind> s_kinds = ImmutableArray.Create(PinKind.GCHandle, PinKind.TypedHandle);

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(RewriteAsync);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN1002PinnedHandleNotFreed.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var fixedDocument = await PinFixes.FixOneAsync(context.Document, diagnostic.Location.SourceSpan, RewriteAsync, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is null)
                {
                    continue;
                }

                var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                var title = root is not null && PinFixes.FindPin(root, diagnostic.Location.SourceSpan) is BaseObjectCreationExpressionSyntax ? DisposeTitle : FreeTitle;
                context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(fixedDocument), EquivalenceKey), diagnostic);
            }
        }

        private static Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
            => ReleaseOnEveryPath.RewriteAsync(document, root, pin, s_kinds, cancellationToken);
    }
}
