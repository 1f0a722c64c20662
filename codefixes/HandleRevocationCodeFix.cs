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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN5004 "Handle revocation": every acquisition stored into the reported lease field gets the registration the
    /// lease conversions insert (<see cref="RevocationRegistration"/>): the lease in a local, a callback on its
    /// <c>RevocationRequested</c> that disposes it after a TODO where native deregistration goes, then the store. See
    /// docs/rules/PIN5004.md.
    /// </summary>
    /// <remarks>
    /// Offered when the field is declared in this document and every store of a lease into it in the type is an
    /// <c>_f = Lease.Acquire(…)</c> / <c>Allocate(…)</c> statement (or a void expression body) in this document: a field
    /// initializer, a <c>TryAcquire(…, out _f)</c> or a store inside an expression has no place for the registration,
    /// and registering only some acquisitions would silence the rule with a holder that still ignores the others.
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HandleRevocationCodeFix)), Shared]
    public sealed class HandleRevocationCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN5004.HandleRevocation";

        private const string Title = "Handle revocation";

        private const string FixAllAnnotationKind = "PinAnalyzers.RevocationField";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN5004HolderIgnoresRevocation.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        private static readonly FixAllProvider s_fixAll = FixAllProvider.Create(async (context, document, diagnostics) =>
        {
            // One field after another: two fields of one type both edit its constructor.
            var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return null;
            }

            var declarators = diagnostics.Select(d => DeclaratorAt(root, d)).OfType<VariableDeclaratorSyntax>().Distinct().ToList();
            var annotations = declarators.ToDictionary(d => (SyntaxNode)d, _ => new SyntaxAnnotation(FixAllAnnotationKind));
            document = document.WithSyntaxRoot(root.ReplaceNodes(annotations.Keys, (original, current) => current.WithAdditionalAnnotations(annotations[original])));
            foreach (var annotation in annotations.Values)
            {
                root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                if (root?.GetAnnotatedNodes(annotation).OfType<VariableDeclaratorSyntax>().FirstOrDefault() is { } declarator
                    && await RewriteAsync(document, declarator, context.CancellationToken).ConfigureAwait(false) is { } fixedDocument)
                {
                    document = fixedDocument;
                }
            }

            root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            return root is null ? document : document.WithSyntaxRoot(root.ReplaceNodes(root.GetAnnotatedNodes(FixAllAnnotationKind), (_, current) => current.WithoutAnnotations(FixAllAnnotationKind)));
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
                if (DeclaratorAt(root, diagnostic) is not { } declarator
                    || await PlanAsync(context.Document, declarator, context.CancellationToken).ConfigureAwait(false) is null)
                {
                    continue;
                }

                var span = declarator.Span;
                context.RegisterCodeFix(
                    CodeAction.Create(
                        Title,
                        async cancellationToken =>
                        {
                            var current = await context.Document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                            return current?.FindNode(span) is VariableDeclaratorSyntax again
                                ? await RewriteAsync(context.Document, again, cancellationToken).ConfigureAwait(false) ?? context.Document
                                : context.Document;
                        },
                        EquivalenceKey),
                    diagnostic);
            }
        }

        private static VariableDeclaratorSyntax? DeclaratorAt(SyntaxNode root, Diagnostic diagnostic)
            => root.FullSpan.Contains(diagnostic.Location.SourceSpan)
                ? root.FindToken(diagnostic.Location.SourceSpan.Start).Parent as VariableDeclaratorSyntax
                : null;

        private static async Task<Document?> RewriteAsync(Document document, VariableDeclaratorSyntax declarator, CancellationToken cancellationToken)
        {
            if (await PlanAsync(document, declarator, cancellationToken).ConfigureAwait(false) is not { } plan)
            {
                return null;
            }

            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var chosenIn = new Dictionary<SyntaxNode, HashSet<string>>();
            foreach (var (assignment, holder, placement) in plan.Stores)
            {
                var member = holder.AncestorsAndSelf().FirstOrDefault(a => a is MemberDeclarationSyntax and not BaseTypeDeclarationSyntax) ?? holder;
                if (!chosenIn.TryGetValue(member, out var chosen))
                {
                    chosenIn.Add(member, chosen = new HashSet<string>());
                }

                var name = RevocationRegistration.LocalName(plan.Model, holder, plan.Field.Name, chosen);
                RevocationRegistration.Replace(editor, assignment, holder, placement, assignment.Right, name, plan.ResourceNoun);
            }

            return editor.GetChangedDocument();
        }

        private sealed class Plan
        {
            internal Plan(SemanticModel model, IFieldSymbol field, string resourceNoun)
            {
                Model = model;
                Field = field;
                ResourceNoun = resourceNoun;
            }

            internal SemanticModel Model { get; }

            internal IFieldSymbol Field { get; }

            internal string ResourceNoun { get; }

            internal List<(AssignmentExpressionSyntax Assignment, SyntaxNode Holder, PinStorePlacement Placement)> Stores { get; } = new();
        }

        private static async Task<Plan?> PlanAsync(Document document, VariableDeclaratorSyntax declarator, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null
                || PinApis.Create(model.Compilation) is not { } apis
                || model.GetDeclaredSymbol(declarator, cancellationToken) is not IFieldSymbol field
                || !apis.IsLease(field.Type)
                || declarator.Initializer is not null)
            {
                return null;
            }

            var noun = field.Type.Name == "MappedViewLease" ? "view" : "buffer";
            var plan = new Plan(model, field, noun);
            foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
            {
                var typeDeclaration = reference.GetSyntax(cancellationToken);
                if (typeDeclaration.SyntaxTree != declarator.SyntaxTree)
                {
                    // Another part in another document may store into the field where this fix cannot see.
                    return null;
                }

                foreach (var identifier in HandleFieldUses.References(model, typeDeclaration, field, cancellationToken))
                {
                    var expression = PinFixes.ReferenceExpression(identifier);
                    switch (expression.Parent)
                    {
                        case AssignmentExpressionSyntax assignment when assignment.Left == expression:
                            if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
                            {
                                // ??= acquires into the field inside an expression.
                                if (IsAcquisition(model, apis, assignment.Right, cancellationToken))
                                {
                                    return null;
                                }

                                continue;
                            }

                            if (!IsAcquisition(model, apis, assignment.Right, cancellationToken))
                            {
                                continue;
                            }

                            var (holder, placement) = HandleFieldUses.PlacementOf(model, assignment, cancellationToken);
                            if (placement == PinStorePlacement.Other || !PinFixes.IsTrivialReceiver(identifier))
                            {
                                return null;
                            }

                            plan.Stores.Add((assignment, holder, placement));
                            break;

                        case ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword }:
                            // TryAcquire(…, out _f): the lease is in the field only when the call returned true.
                            return null;
                    }
                }
            }

            return plan.Stores.Count > 0 ? plan : null;
        }

        private static bool IsAcquisition(SemanticModel model, PinApis apis, ExpressionSyntax value, CancellationToken cancellationToken)
            => model.GetOperation(value, cancellationToken).WalkDownConversions() is IInvocationOperation { TargetMethod: { IsStatic: true, Name: "Acquire" or "Allocate" } method }
                && apis.IsLease(method.ContainingType);
    }
}
