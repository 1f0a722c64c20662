using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN1005 "Pin the handle": the handle's <c>Normal</c>/<c>Weak</c> allocations (the diagnostic's additional
    /// locations) become <c>GCHandleType.Pinned</c>; the one-argument <c>GCHandle.Alloc(x)</c> gets the argument.
    /// Offered only when every allocation is in the diagnostic's document.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PinTheHandleCodeFix)), Shared]
    public sealed class PinTheHandleCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN1005.PinTheHandle";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN1005AddressOfUnpinnedHandle.Id);

        public override FixAllProvider GetFixAllProvider()
            => FixAllProvider.Create(async (context, document, diagnostics) =>
                await RewriteAsync(document, diagnostics.SelectMany(d => AllocationSpans(d, document)), context.CancellationToken).ConfigureAwait(false));

        public override Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var spans = AllocationSpans(diagnostic, context.Document).ToImmutableArray();
                if (spans.IsEmpty || spans.Length != diagnostic.AdditionalLocations.Count)
                {
                    // An allocation in another document (or none known): not ours to rewrite from here.
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Pin the handle (GCHandleType.Pinned)",
                        cancellationToken => PinAsync(context.Document, spans, cancellationToken),
                        EquivalenceKey),
                    diagnostic);
            }

            return Task.CompletedTask;
        }

        private static IEnumerable<TextSpan> AllocationSpans(Diagnostic diagnostic, Document document)
        {
            foreach (var location in diagnostic.AdditionalLocations)
            {
                if (location.IsInSource && location.SourceTree?.FilePath == document.FilePath)
                {
                    yield return location.SourceSpan;
                }
            }
        }

        private static async Task<Document> PinAsync(Document document, IEnumerable<TextSpan> spans, CancellationToken cancellationToken)
            => await RewriteAsync(document, spans, cancellationToken).ConfigureAwait(false) ?? document;

        private static async Task<Document?> RewriteAsync(Document document, IEnumerable<TextSpan> spans, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return null;
            }

            var allocations = new HashSet<InvocationExpressionSyntax>();
            foreach (var span in spans.Distinct())
            {
                if (root.FullSpan.Contains(span) && root.FindNode(span, getInnermostNodeForTie: true) is { } node
                    && node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } invocation && invocation.Span == span)
                {
                    allocations.Add(invocation);
                }
            }

            if (allocations.Count == 0)
            {
                return null;
            }

            var newRoot = root.ReplaceNodes(allocations, (_, current) => Pin(current));
            return document.WithSyntaxRoot(newRoot);
        }

        private static InvocationExpressionSyntax Pin(InvocationExpressionSyntax allocation)
        {
            var arguments = allocation.ArgumentList.Arguments;
            if (arguments.Count == 2 && arguments[1].Expression is MemberAccessExpressionSyntax written)
            {
                // GCHandleType.Normal → GCHandleType.Pinned, keeping however the type was written.
                var pinned = written.WithName(SyntaxFactory.IdentifierName("Pinned").WithTriviaFrom(written.Name));
                return allocation.ReplaceNode(written, pinned);
            }

            if (arguments.Count == 1)
            {
                var pinnedType = SyntaxFactory.ParseExpression("global::System.Runtime.InteropServices.GCHandleType.Pinned")
                    .WithAdditionalAnnotations(Simplifier.Annotation);
                return allocation.WithArgumentList(allocation.ArgumentList.AddArguments(SyntaxFactory.Argument(pinnedType)));
            }

            return allocation;
        }
    }
}
