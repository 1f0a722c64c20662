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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN2001 "Extend the fixed statement": when the pointer escapes into a local declared outside the
    /// statement, the statements after the <c>fixed</c> that use that local move into its body, so that every
    /// use happens while the pin holds. Offered only when those statements directly follow the <c>fixed</c> in
    /// the same block, contain no <c>await</c>, <c>yield</c> or label, do not return the pointer, and nothing after
    /// them (nor outside the block) uses the local or the locals they declare.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExtendFixedStatementCodeFix)), Shared]
    public sealed class ExtendFixedStatementCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN2001.ExtendFixed";

        private const string SiteAnnotationKind = "PinAnalyzers.ExtendFixedSite";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN2001PointerEscapesFixed.Id);

        public override FixAllProvider GetFixAllProvider()
            => FixAllProvider.Create(async (context, document, diagnostics) =>
            {
                var cancellationToken = context.CancellationToken;
                var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                if (root is null)
                {
                    return null;
                }

                // Mark every site, then fix them one at a time, re-reading the document in between.
                var sites = diagnostics.Select(d => FindAssignment(root, d.Location.SourceSpan)).OfType<AssignmentExpressionSyntax>().Distinct().ToList();
                var annotations = sites.ToDictionary(s => (SyntaxNode)s, _ => new SyntaxAnnotation(SiteAnnotationKind));
                document = document.WithSyntaxRoot(root.ReplaceNodes(annotations.Keys, (original, current) => current.WithAdditionalAnnotations(annotations[original])));
                foreach (var annotation in annotations.Values)
                {
                    var current = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                    if (current?.GetAnnotatedNodes(annotation).OfType<AssignmentExpressionSyntax>().FirstOrDefault() is { } site
                        && await ExtendAsync(document, current, site, cancellationToken).ConfigureAwait(false) is { } fixedDocument)
                    {
                        document = fixedDocument;
                    }
                }

                var final = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                if (final is null)
                {
                    return document;
                }

                var annotated = final.GetAnnotatedNodes(SiteAnnotationKind).ToImmutableArray();
                return document.WithSyntaxRoot(final.ReplaceNodes(annotated, (_, node) => node.WithoutAnnotations(SiteAnnotationKind)));
            });

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (FindAssignment(root, diagnostic.Location.SourceSpan) is not { } assignment)
                {
                    continue;
                }

                // Only offer what can be applied: check now, on the current document.
                if (await ExtendAsync(context.Document, root, assignment, context.CancellationToken).ConfigureAwait(false) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Extend the fixed statement over the pointer's later uses",
                        async cancellationToken => await ExtendAsync(context.Document, root, assignment, cancellationToken).ConfigureAwait(false) ?? context.Document,
                        EquivalenceKey),
                    diagnostic);
            }
        }

        private static AssignmentExpressionSyntax? FindAssignment(SyntaxNode root, TextSpan span)
        {
            if (!root.FullSpan.Contains(span))
            {
                return null;
            }

            return root.FindNode(span, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<AssignmentExpressionSyntax>() is { } assignment && assignment.Span == span
                ? assignment
                : null;
        }

        private static async Task<Document?> ExtendAsync(Document document, SyntaxNode root, AssignmentExpressionSyntax assignment, CancellationToken cancellationToken)
        {
            if (assignment.Left is not IdentifierNameSyntax target
                || assignment.FirstAncestorOrSelf<FixedStatementSyntax>() is not { } fixedStatement
                || fixedStatement.Parent is not BlockSyntax block
                || fixedStatement.Statement is not BlockSyntax body)
            {
                return null;
            }

            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model?.GetSymbolInfo(target, cancellationToken).Symbol is not ILocalSymbol outer || outer.IsFixed)
            {
                return null;
            }

            // The later uses: the statements after the fixed that must run inside the pin (shared with PIN2003's fix).
            var statements = block.Statements;
            var start = statements.IndexOf(fixedStatement) + 1;
            if (FixedBlockExtension.End(block, start, outer, model, cancellationToken) is not { } end || end < start)
            {
                return null;
            }

            // Nothing outside the fixed statement and the moved statements may use the local, but to assign it.
            var moved = statements.Skip(start).Take(end - start + 1).ToList();
            var scope = outer.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken).FirstAncestorOrSelf<BlockSyntax>() ?? block;
            foreach (var identifier in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (fixedStatement.Span.Contains(identifier.Span) || moved.Any(s => s.Span.Contains(identifier.Span)))
                {
                    continue;
                }

                if (SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, outer) && !IsAssignedOnly(identifier))
                {
                    return null;
                }
            }

            // The formatter re-indents the body.
            var newBlock = FixedBlockExtension.Splice(block, start - 1, start, end, movedStatements =>
                fixedStatement.WithStatement(body.WithStatements(body.Statements.AddRange(movedStatements)).WithAdditionalAnnotations(Formatter.Annotation)));
            return document.WithSyntaxRoot(root.ReplaceNode(block, newBlock));
        }

        /// <summary>The declaration's initializer and plain writes (<c>q = null</c>) before the statement are harmless.</summary>
        private static bool IsAssignedOnly(IdentifierNameSyntax identifier)
            => identifier.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment && assignment.Left == identifier;
    }
}
