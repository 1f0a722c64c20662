using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// Rewrites a document for one pin site: returns the new syntax root, or null when the site has a shape
    /// the fix cannot rewrite correctly (then no fix is offered).
    /// </summary>
    internal delegate Task<SyntaxNode?> PinRewrite(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken);

    /// <summary>What the handle code fixes share: finding the pin call of a diagnostic, and a Fix All that applies one site at a time.</summary>
    internal static class PinFixes
    {
        private const string FixAllAnnotationKind = "PinAnalyzers.FixAllSite";

        /// <summary>
        /// The pin call (<c>GCHandle.Alloc(...)</c>, <c>new PinnedGCHandle&lt;T&gt;(...)</c> or <c>new(...)</c>) a diagnostic
        /// is reported on; null when the span holds something else.
        /// </summary>
        internal static ExpressionSyntax? FindPin(SyntaxNode root, TextSpan span)
        {
            if (!root.FullSpan.Contains(span))
            {
                return null;
            }

            for (SyntaxNode? node = root.FindNode(span, getInnermostNodeForTie: true); node is not null && node.Span == span; node = node.Parent)
            {
                if (node is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax)
                {
                    return (ExpressionSyntax)node;
                }
            }

            return null;
        }

        /// <summary>
        /// Fix All that applies the fix to one site after another in each document, re-reading the document in
        /// between. The fixes of two sites can overlap (two pins in one block nest their try/finally; two handle
        /// fields of one type both add a field), which the batch fixer's text merge gets wrong. Sites are visited in
        /// source order, each found again through an annotation after the edits before it.
        /// </summary>
        internal static FixAllProvider CreateFixAll(PinRewrite rewrite) => CreateFixAll(_ => rewrite);

        /// <summary>As <see cref="CreateFixAll(PinRewrite)"/>, the rewrite chosen per Fix All (by its equivalence key); null fixes nothing.</summary>
        internal static FixAllProvider CreateFixAll(System.Func<FixAllContext, PinRewrite?> rewriteFor)
            => FixAllProvider.Create(async (context, document, diagnostics) =>
            {
                if (diagnostics.IsEmpty || rewriteFor(context) is not { } rewrite)
                {
                    return null;
                }

                var cancellationToken = context.CancellationToken;
                var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                if (root is null)
                {
                    return null;
                }

                var annotations = new Dictionary<SyntaxNode, SyntaxAnnotation>();
                var order = new List<SyntaxAnnotation>();
                foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
                {
                    if (FindPin(root, diagnostic.Location.SourceSpan) is { } pin && !annotations.ContainsKey(pin))
                    {
                        var annotation = new SyntaxAnnotation(FixAllAnnotationKind);
                        annotations.Add(pin, annotation);
                        order.Add(annotation);
                    }
                }

                if (order.Count == 0)
                {
                    return null;
                }

                root = root.ReplaceNodes(annotations.Keys, (original, current) => current.WithAdditionalAnnotations(annotations[original]));
                document = document.WithSyntaxRoot(root);
                foreach (var annotation in order)
                {
                    root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                    if (root?.GetAnnotatedNodes(annotation).OfType<ExpressionSyntax>().FirstOrDefault() is not { } pin)
                    {
                        continue;
                    }

                    if (await rewrite(document, root, pin, cancellationToken).ConfigureAwait(false) is { } fixedRoot)
                    {
                        document = document.WithSyntaxRoot(fixedRoot);
                    }
                }

                root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                if (root is null)
                {
                    return document;
                }

                var annotated = root.GetAnnotatedNodes(FixAllAnnotationKind).ToImmutableArray();
                return annotated.IsEmpty
                    ? document
                    : document.WithSyntaxRoot(root.ReplaceNodes(annotated, (_, current) => current.WithoutAnnotations(FixAllAnnotationKind)));
            });

        /// <summary>
        /// The same one-site-after-another Fix All for fixes that find their site themselves from the diagnostic's span
        /// (a lease conversion that adds a field per site, two diagnostics on one <c>fixed</c>): each distinct node a
        /// diagnostic is reported on is fixed once, in source order, found again through an annotation after the edits
        /// before it; <paramref name="rewrite"/> gets the node's current span and returns null to leave it.
        /// </summary>
        internal static FixAllProvider CreateSiteBySiteFixAll(System.Func<Document, TextSpan, CancellationToken, Task<Document?>> rewrite)
            => FixAllProvider.Create(async (context, document, diagnostics) =>
            {
                var cancellationToken = context.CancellationToken;
                var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                if (root is null)
                {
                    return null;
                }

                var annotations = new Dictionary<SyntaxNode, SyntaxAnnotation>();
                var order = new List<SyntaxAnnotation>();
                foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
                {
                    if (root.FullSpan.Contains(diagnostic.Location.SourceSpan)
                        && root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is { } node
                        && !annotations.ContainsKey(node))
                    {
                        var annotation = new SyntaxAnnotation(FixAllAnnotationKind);
                        annotations.Add(node, annotation);
                        order.Add(annotation);
                    }
                }

                document = document.WithSyntaxRoot(root.ReplaceNodes(annotations.Keys, (original, current) => current.WithAdditionalAnnotations(annotations[original])));
                foreach (var annotation in order)
                {
                    root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                    if (root?.GetAnnotatedNodes(annotation).FirstOrDefault() is { } site
                        && await rewrite(document, site.Span, cancellationToken).ConfigureAwait(false) is { } fixedDocument)
                    {
                        document = fixedDocument;
                    }
                }

                root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                return root is null
                    ? document
                    : document.WithSyntaxRoot(root.ReplaceNodes(root.GetAnnotatedNodes(FixAllAnnotationKind), (_, current) => current.WithoutAnnotations(FixAllAnnotationKind)));
            });

        /// <summary>The pin's document rewritten for a single diagnostic, or null.</summary>
        internal static async Task<Document?> FixOneAsync(Document document, TextSpan span, PinRewrite rewrite, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || FindPin(root, span) is not { } pin)
            {
                return null;
            }

            var fixedRoot = await rewrite(document, root, pin, cancellationToken).ConfigureAwait(false);
            return fixedRoot is null ? null : document.WithSyntaxRoot(fixedRoot);
        }

        /// <summary>The outermost parentheses around <paramref name="expression"/>: for <c>((x))</c>, the outer pair.</summary>
        internal static ExpressionSyntax WalkUpParentheses(ExpressionSyntax expression)
        {
            while (expression.Parent is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized;
            }

            return expression;
        }

        /// <summary>The whole reference an identifier makes: <c>this.name</c> for the name of <c>this.name</c>, else the identifier.</summary>
        internal static ExpressionSyntax ReferenceExpression(IdentifierNameSyntax identifier)
            => identifier.Parent is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access && access.Name == identifier
                ? access
                : identifier;

        /// <summary>True when the identifier names a member of this object or type directly: <c>name</c> or <c>this.name</c>, not <c>other.name</c>.</summary>
        internal static bool IsTrivialReceiver(IdentifierNameSyntax identifier)
            => identifier.Parent is not MemberAccessExpressionSyntax access
                || access.Name != identifier
                || access.Expression is ThisExpressionSyntax;

        internal static LanguageVersion LanguageVersionOf(SyntaxNode node)
            => node.SyntaxTree.Options is CSharpParseOptions options ? options.LanguageVersion : LanguageVersion.Latest;
    }
}
